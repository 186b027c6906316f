package dev.zerospark.checkpoint.internal;

import java.util.Arrays;
import java.util.List;

/**
 * Where the chunks of a chunked checkpoint file start: chunks of {@code chunkBytes}, restarting at every cut. The
 * same rule {@link dev.zerospark.checkpoint.ChunkedOutputStream} writes by, computed from the manifest alone.
 */
public final class ChunkMap {
    private final long[] starts;
    private final long size;

    private ChunkMap(long[] starts, long size) {
        this.starts = starts;
        this.size = size;
    }

    /** The chunk starts of a file of {@code size} bytes; null when they don't add up to {@code chunkCount} chunks. */
    public static ChunkMap of(long size, int chunkBytes, List<Long> cuts, int chunkCount) {
        if (chunkBytes < 1) return null;
        long[] starts = new long[chunkCount];
        int n = 0;
        long segment = 0;
        for (int c = 0; c <= cuts.size(); c++) {
            long end = c < cuts.size() ? cuts.get(c) : size;
            if (end < segment || end > size) return null;
            for (long at = segment; at < end; at += chunkBytes) {
                if (n == chunkCount) return null;
                starts[n++] = at;
            }
            segment = end;
        }
        return n == chunkCount ? new ChunkMap(starts, size) : null;
    }

    public int count() {
        return starts.length;
    }

    /** The chunk holding byte {@code position}. */
    public int chunkAt(long position) {
        int i = Arrays.binarySearch(starts, position);
        return i >= 0 ? i : -i - 2;
    }

    public long start(int chunk) {
        return starts[chunk];
    }

    public long end(int chunk) {
        return chunk + 1 < starts.length ? starts[chunk + 1] : size;
    }
}
