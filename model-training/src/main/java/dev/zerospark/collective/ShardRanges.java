package dev.zerospark.collective;

import java.util.Arrays;

/**
 * Which region of a buffer each rank owns in a reduce-scatter or all-gather: rank r owns
 * {@code [offset(r), offset(r) + length(r))}. Regions must not overlap; they need not be contiguous. Offsets and
 * lengths are 64-bit: a flat buffer of a large model has more than 2^31 elements.
 */
public record ShardRanges(long[] offsets, long[] lengths) {
    public ShardRanges {
        if (offsets.length != lengths.length || offsets.length == 0) {
            throw new IllegalArgumentException("need one offset and one length per rank, got "
                    + offsets.length + " offsets and " + lengths.length + " lengths");
        }
        offsets = offsets.clone();
        lengths = lengths.clone();
        for (int r = 0; r < offsets.length; r++) {
            if (offsets[r] < 0 || lengths[r] < 0 || offsets[r] > Long.MAX_VALUE - lengths[r]) {
                throw new IllegalArgumentException("rank " + r + " range [" + offsets[r] + ", +" + lengths[r]
                        + ") is negative or overflows");
            }
        }
    }

    /**
     * Splits {@code [offset, offset + length)} into {@code worldSize} contiguous pieces in rank order; the first
     * {@code length % worldSize} ranks get one element more. Works for {@code length < worldSize} (some empty).
     */
    public static ShardRanges even(long offset, long length, int worldSize) {
        if (worldSize < 1 || length < 0) {
            throw new IllegalArgumentException("cannot split " + length + " elements over " + worldSize + " ranks");
        }
        long[] offsets = new long[worldSize];
        long[] lengths = new long[worldSize];
        long base = length / worldSize;
        long extra = length % worldSize;
        long at = offset;
        for (int r = 0; r < worldSize; r++) {
            offsets[r] = at;
            lengths[r] = base + (r < extra ? 1 : 0);
            at += lengths[r];
        }
        return new ShardRanges(offsets, lengths);
    }

    public int worldSize() {
        return offsets.length;
    }

    public long offset(int rank) {
        return offsets[rank];
    }

    public long length(int rank) {
        return lengths[rank];
    }

    /** Largest end offset, so callers can check it fits their buffer. */
    public long end() {
        long end = 0;
        for (int r = 0; r < offsets.length; r++) {
            end = Math.max(end, offsets[r] + lengths[r]);
        }
        return end;
    }

    @Override
    public long[] offsets() {
        return offsets.clone();
    }

    @Override
    public long[] lengths() {
        return lengths.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ShardRanges s && Arrays.equals(offsets, s.offsets) && Arrays.equals(lengths, s.lengths);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(offsets) + Arrays.hashCode(lengths);
    }

    @Override
    public String toString() {
        return "ShardRanges" + Arrays.toString(offsets) + "+" + Arrays.toString(lengths);
    }
}
