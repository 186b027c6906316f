package dev.zerospark.data.ingest;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One unit of ingest work: a byte range {@code [start, end)} of one file. JSONL files are cut into ranges of about
 * {@code split_mb}, so that one large file is read, parsed and cleaned by several tasks at once with no
 * shuffle; other formats are read a whole file per split. A range owns the lines that start inside it; the last
 * one may run past {@code end}. The cut depends only on the file's length, so a rerun sees the same splits.
 * Splits are then {@link #pack packed} into tasks of about the same byte size, so that an archive of many small
 * files (one article per file) runs a task per few dozen megabytes, not one per file.
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

    /**
     * Splits packed into tasks, in order, as Spark's file sources pack theirs ({@code FilePartition}): a task takes
     * the next split while its bytes so far plus the split's length stay within {@code targetBytes}, and each
     * split also costs {@code openCostBytes} (Spark's {@code spark.sql.files.openCostInBytes}: what opening a file
     * costs, measured in bytes one could have read meanwhile), so that a task of tiny files still has a bounded
     * number of them. Unlike Spark, the order is kept (no sort by size): tasks, and so the partitions downstream,
     * follow the input's path and offset order. A split at least {@code targetBytes} long is a task of its own.
     */
    public static List<List<InputSplit>> pack(List<InputSplit> splits, long targetBytes, long openCostBytes) {
        if (targetBytes <= 0 || openCostBytes < 0) {
            throw new IllegalArgumentException("split packing needs a positive target and a non-negative open cost, got "
                    + targetBytes + " and " + openCostBytes + " bytes");
        }
        List<List<InputSplit>> tasks = new ArrayList<>();
        List<InputSplit> current = new ArrayList<>();
        long size = 0;
        for (InputSplit s : splits) {
            long len = s.end - s.start;
            if (!current.isEmpty() && size + len > targetBytes) {
                tasks.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(s);
            size += len + openCostBytes;
        }
        if (!current.isEmpty()) tasks.add(current);
        return tasks;
    }
}
