package dev.zerospark.data.ingest;

import org.apache.hadoop.fs.FSDataInputStream;

import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;

/**
 * The lines a split owns, read from a seekable stream: those that start in {@code [start, end)}. A line starts at
 * offset 0 or right after a newline, so a split that does not start at 0 reads one byte early to tell whether its
 * first byte starts a line. Its last line is read past {@code end} up to the newline, but at most
 * {@code maxLineBytes + 1} bytes of it: a longer line is over the record limit anyway and is reported truncated.
 */
final class LineRange {
    /** The bytes read and where the owned lines start and end inside them. */
    record Lines(byte[] bytes, long firstByteOffset, int[] starts, int[] ends, boolean[] truncated, int count) {}

    private LineRange() {}

    static Lines read(FSDataInputStream in, InputSplit split, int maxLineBytes) throws IOException {
        long from = Math.max(0, split.start() - 1);
        long readEnd = Math.min(split.fileLength(), split.end() + (long) maxLineBytes + 1);
        int len = Math.toIntExact(readEnd - from);
        byte[] bytes = new byte[len];
        in.seek(from);
        try {
            in.readFully(bytes);
        } catch (EOFException e) {
            throw new IOException(split.path() + " is shorter than its listed length " + split.fileLength() + " (changed while reading?)", e);
        }
        int pos = 0;
        if (split.start() > 0) { // skip to the first line that starts at or after split.start()
            while (pos < len && bytes[pos] != '\n') pos++;
            pos++;
        }
        int ownedEnd = Math.toIntExact(split.end() - from); // lines must start before this
        int cap = 1024;
        int[] starts = new int[cap];
        int[] ends = new int[cap];
        boolean[] truncated = new boolean[cap];
        int n = 0;
        while (pos < ownedEnd && pos < len) {
            int e = pos;
            while (e < len && bytes[e] != '\n') e++;
            if (n == cap) {
                cap *= 2;
                starts = Arrays.copyOf(starts, cap);
                ends = Arrays.copyOf(ends, cap);
                truncated = Arrays.copyOf(truncated, cap);
            }
            starts[n] = pos;
            ends[n] = e;
            truncated[n] = e == len && readEnd < split.fileLength();
            n++;
            pos = e + 1;
        }
        return new Lines(bytes, from, starts, ends, truncated, n);
    }
}
