package dev.zerospark.zero;

import dev.zerospark.collective.ShardRanges;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PartitionLayoutTest {

    static List<FlatParam> randomParams(Random random, int count) {
        List<FlatParam> params = new ArrayList<>();
        int at = 0;
        for (int i = 0; i < count; i++) {
            int numel = switch (random.nextInt(4)) {
                case 0 -> random.nextInt(3); // 0, 1 or 2 elements
                case 1 -> 1 + random.nextInt(17);
                default -> 1 + random.nextInt(3000);
            };
            params.add(new FlatParam("p" + i, at, numel, random.nextBoolean()));
            at += numel;
        }
        return params;
    }

    @Test
    void everyParameterElementIsCoveredExactlyOnceAcrossRanks() {
        Random random = new Random(7);
        for (int trial = 0; trial < 40; trial++) {
            List<FlatParam> params = randomParams(random, 1 + random.nextInt(12));
            for (int n = 1; n <= 4; n++) {
                for (int alignment : new int[] {1, 2 * n, 8}) {
                    PartitionLayout layout = PartitionLayout.of(params, n, alignment);
                    int numel = (int) params.get(params.size() - 1).end();
                    assertEquals(numel, layout.numel());
                    assertEquals(0, layout.paddedNumel() % (n * alignment), layout.toString());
                    assertTrue(layout.paddedNumel() - numel < n * alignment || numel == 0, layout.toString());
                    int[] coverage = new int[numel];
                    for (int r = 0; r < n; r++) {
                        int shardStart = (int) layout.shardOffset(r);
                        for (PartitionLayout.Piece piece : layout.pieces(r)) {
                            FlatParam p = params.get(piece.param());
                            assertTrue(piece.length() > 0);
                            assertTrue(piece.flatOffset() >= shardStart
                                    && piece.flatOffset() + piece.length() <= shardStart + layout.shardSize());
                            assertEquals(p.offset() + piece.paramOffset(), piece.flatOffset());
                            assertTrue(piece.paramOffset() + piece.length() <= p.numel());
                            for (int i = (int) piece.flatOffset(); i < piece.flatOffset() + piece.length(); i++) {
                                coverage[i]++;
                            }
                        }
                    }
                    for (int i = 0; i < numel; i++) {
                        assertEquals(1, coverage[i], "element " + i + " of " + layout);
                    }
                }
            }
        }
    }

    @Test
    void shardsAreEqualContiguousAndMatchTheCollectiveRegions() {
        PartitionLayout layout = PartitionLayout.of(List.of(new FlatParam("w", 0, 1001, true)), 4, 8);
        assertEquals(1024, layout.paddedNumel());
        assertEquals(256, layout.shardSize());
        ShardRanges shards = layout.shards();
        for (int r = 0; r < 4; r++) {
            assertEquals(r * 256, layout.shardOffset(r));
            assertEquals(layout.shardOffset(r), shards.offset(r));
            assertEquals(256, shards.length(r));
        }
        // The last shard holds the parameter's tail and all of the padding.
        assertEquals(List.of(new PartitionLayout.Piece(0, 768, 233, 768)), layout.pieces(3));
    }

    @Test
    void gapsOrOverlapsBetweenParametersAreRejectedByName() {
        List<FlatParam> gap = List.of(new FlatParam("a", 0, 4, true), new FlatParam("b", 5, 4, true));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PartitionLayout.of(gap, 2, 1));
        assertTrue(e.getMessage().contains("parameter b"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PartitionLayout.of(gap.subList(0, 1), 0, 1));
    }

    @Test
    void bucketsTileEveryShardExactlyOnce() {
        PartitionLayout layout = PartitionLayout.of(randomParams(new Random(3), 9), 3, 6);
        for (long size : new long[] {1, 7, layout.shardSize() - 1, layout.shardSize(), 1 << 20}) {
            GradientBuckets buckets = GradientBuckets.of(layout, size);
            int[] coverage = new int[(int) layout.paddedNumel()];
            for (int b = 0; b < buckets.count(); b++) {
                ShardRanges ranges = buckets.bucket(b);
                for (int r = 0; r < 3; r++) {
                    assertTrue(ranges.offset(r) >= layout.shardOffset(r) && ranges.offset(r) + ranges.length(r)
                            <= layout.shardOffset(r) + layout.shardSize(), "bucket " + b + " rank " + r);
                    for (int i = (int) ranges.offset(r); i < ranges.offset(r) + ranges.length(r); i++) {
                        coverage[i]++;
                    }
                }
            }
            for (int i = 0; i < coverage.length; i++) {
                assertEquals(1, coverage[i], "bucket size " + size + " element " + i);
            }
        }
    }
}
