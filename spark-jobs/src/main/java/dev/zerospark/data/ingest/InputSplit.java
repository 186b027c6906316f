package dev.zerospark.data.ingest;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One unit of ingest work: a byte range {@code [start, end)} of one file. JSONL files are cut into ranges of about
 * {@code split_mb}, so that one large file is read, parsed and cleaned by several tasks at once with no
 * shuffle; other formats are read a whole file per split. A range owns the lines that start inside it; the last
 * one may run past {@code end}. The cut depends only on the file's length, so a rerun sees the same splits.
 */
public record InputSplit(String path, long start, long end, long fileLength) implements Serializable {
    public boolean wholeFile() {
        return start == 0 && end == fileLength;
    }

    /** Splits of one file: byte ranges when the format is line-oriented and splittable, else the whole file. */
    public static List<InputSplit> of(String path, long length, boolean splittable, long targetBytes) {
        List<InputSplit> out = new ArrayList<>();
        if (!splittable || length <= targetBytes) {
            out.add(new InputSplit(path, 0, length, length));
            return out;
        }
        long parts = (length + targetBytes - 1) / targetBytes;
        long size = (length + parts - 1) / parts;
        for (long s = 0; s < length; s += size) out.add(new InputSplit(path, s, Math.min(length, s + size), length));
        return out;
    }
}
