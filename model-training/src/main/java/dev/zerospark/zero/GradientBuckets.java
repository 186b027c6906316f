package dev.zerospark.zero;

import dev.zerospark.collective.ShardRanges;

/**
 * Cuts the collectives over the flat buffer into buckets of at most {@code bucketElements} per rank, so a
 * reduction needs no staging copy larger than a bucket and can start before the whole buffer is ready. Bucket i
 * is the i-th slice of every rank's shard, so each element keeps its owner (and its reduction order) whatever the
 * bucket size: results do not depend on it.
 */
public final class GradientBuckets {
    private final PartitionLayout layout;
    private final long bucketElements;

    private GradientBuckets(PartitionLayout layout, long bucketElements) {
        this.layout = layout;
        this.bucketElements = bucketElements;
    }

    public static GradientBuckets of(PartitionLayout layout, long bucketElements) {
        if (bucketElements < 1) {
            throw new IllegalArgumentException("bucket size must be >= 1 element, got " + bucketElements);
        }
        return new GradientBuckets(layout, bucketElements);
    }

    public int count() {
        long count = Math.max(1, (layout.shardSize() + bucketElements - 1) / bucketElements);
        if (count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(layout + " needs " + count + " buckets of " + bucketElements
                    + " elements; use larger buckets");
        }
        return (int) count;
    }

    /** Bucket {@code index}: for each rank r, its shard elements {@code [index * size, (index + 1) * size)}. */
    public ShardRanges bucket(int index) {
        if (index < 0 || index >= count()) {
            throw new IllegalArgumentException("bucket must be in [0, " + count() + "), got " + index);
        }
        int n = layout.worldSize();
        long start = index * bucketElements;
        long length = Math.min(bucketElements, layout.shardSize() - start);
        long[] offsets = new long[n];
        long[] lengths = new long[n];
        for (int r = 0; r < n; r++) {
            offsets[r] = layout.shardOffset(r) + start;
            lengths[r] = length;
        }
        return new ShardRanges(offsets, lengths);
    }
}
