package dev.zerospark.collective;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every operation against a sequential reference, bitwise, for odd sizes, sizes below N, and N = 1. */
class CollectiveOpsTest {
    private static final int[] SIZES = {0, 1, 2, 3, 5, 7, 33, 1000, 20_011};
    // 64-byte frames force many frames per region, so pipelining and frame dependencies are exercised.
    private static final CollectiveConfig SMALL_FRAMES =
            CollectiveConfig.loopback(Duration.ofSeconds(20)).withChunkBytes(64);

    static Stream<Arguments> worlds() {
        return Stream.of(1, 2, 3, 4).map(Arguments::of);
    }

    /** Rank r's input: values of mixed magnitude so that summation order changes the bits. */
    private static float[] input(int rank, int length) {
        Random random = new Random(1000L * rank + length);
        float[] x = new float[length];
        for (int i = 0; i < length; i++) {
            x[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(7) - 3));
        }
        return x;
    }

    /** The documented order: region c is summed starting at rank c+1 and finished by its owner c. */
    private static float[] ringSum(int worldSize, int length, ShardRanges regions) {
        float[][] x = new float[worldSize][];
        for (int r = 0; r < worldSize; r++) {
            x[r] = input(r, length);
        }
        float[] sum = x[0].clone();
        for (int c = 0; c < worldSize; c++) {
            for (int i = (int) regions.offset(c); i < regions.offset(c) + regions.length(c); i++) {
                float acc = x[(c + 1) % worldSize][i];
                for (int k = 2; k <= worldSize; k++) {
                    acc = x[(c + k) % worldSize][i] + acc;
                }
                sum[i] = acc;
            }
        }
        return sum;
    }

    @ParameterizedTest(name = "N={0}")
    @MethodSource("worlds")
    void allReduceIsBitwiseTheRingOrderSumOnEveryRank(int worldSize) {
        List<float[][]> results = TestRing.run(worldSize, SMALL_FRAMES, c -> {
            List<float[]> out = new ArrayList<>();
            for (int length : SIZES) {
                float[] buf = input(c.rank(), length);
                c.allReduce(buf);
                out.add(buf);
            }
            return out.toArray(new float[0][]);
        });
        for (int s = 0; s < SIZES.length; s++) {
            float[] expected = ringSum(worldSize, SIZES[s], ShardRanges.even(0, SIZES[s], worldSize));
            for (int r = 0; r < worldSize; r++) {
                assertArrayEquals(expected, results.get(r)[s], "rank " + r + " size " + SIZES[s]);
            }
        }
    }

    @ParameterizedTest(name = "N={0}")
    @MethodSource("worlds")
    void allReduceOfASubRangeLeavesTheRestAlone(int worldSize) {
        int length = 10_007;
        List<float[]> results = TestRing.run(worldSize, CollectiveConfig.loopback(Duration.ofSeconds(20)), c -> {
            float[] buf = input(c.rank(), length);
            c.allReduce(buf, 3, length - 10);
            return buf;
        });
        float[] full = ringSum(worldSize, length, ShardRanges.even(3, length - 10, worldSize));
        for (int r = 0; r < worldSize; r++) {
            float[] mine = input(r, length);
            for (int i = 0; i < length; i++) {
                float expected = i < 3 || i >= length - 7 ? mine[i] : full[i];
                assertEquals(expected, results.get(r)[i], "rank " + r + " element " + i);
            }
        }
    }

    /** bf16 and fp16 on the wire: the documented order with every transmitted value and every sum rounded, bit for bit. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(value = WireFormat.class, names = {"BF16", "FP16"})
    void sixteenBitWireRoundsEachHopAndEveryRankAgrees(WireFormat wire) {
        int worldSize = 3;
        int length = 10_007;
        List<float[]> results = TestRing.run(worldSize, SMALL_FRAMES.withReductionWire(wire), c -> {
            float[] buf = input(c.rank(), length);
            for (int i = 0; i < length; i++) buf[i] = Math.max(-6e4f, Math.min(6e4f, buf[i])); // fp16's range
            c.allReduce(buf);
            float[] weights = input(c.rank(), 7);
            c.allGather(weights, ShardRanges.even(0, 7, worldSize)); // weights still travel as float32
            assertEquals(input(1, 7)[4], weights[4], "all-gather (rank 1's region [3, 5)) is not rounded");
            return buf;
        });
        float[][] x = new float[worldSize][];
        for (int r = 0; r < worldSize; r++) {
            x[r] = input(r, length);
            for (int i = 0; i < length; i++) x[r][i] = Math.max(-6e4f, Math.min(6e4f, x[r][i]));
        }
        ShardRanges regions = ShardRanges.even(0, length, worldSize);
        float[] expected = new float[length];
        double worst = 0;
        for (int c = 0; c < worldSize; c++) {
            for (int i = (int) regions.offset(c); i < regions.offset(c) + regions.length(c); i++) {
                float acc = wire.round(x[(c + 1) % worldSize][i]);
                for (int k = 2; k <= worldSize; k++) acc = wire.round(x[(c + k) % worldSize][i] + acc);
                expected[i] = acc;
                double exact = (double) x[0][i] + x[1][i] + x[2][i];
                double scale = Math.abs(x[0][i]) + Math.abs(x[1][i]) + Math.abs(x[2][i]);
                if (scale > 1e-3) worst = Math.max(worst, Math.abs(acc - exact) / scale);
            }
        }
        for (int r = 0; r < worldSize; r++) assertArrayEquals(expected, results.get(r), wire + " rank " + r);
        double unit = wire == WireFormat.BF16 ? 0x1p-8 : 0x1p-11;
        assertTrue(worst < 3 * unit, wire + " error " + worst + " relative to the summands' magnitude");
    }

    @org.junit.jupiter.api.Test
    void buffersLargerThanTheSocketBuffersStreamThroughWithDefaultFrames() {
        int length = 3_000_001;
        List<float[]> results = TestRing.run(3, CollectiveConfig.loopback(Duration.ofSeconds(30)), c -> {
            float[] buf = input(c.rank(), length);
            c.allReduce(buf);
            return buf;
        });
        float[] expected = ringSum(3, length, ShardRanges.even(0, length, 3));
        for (int r = 0; r < 3; r++) {
            assertArrayEquals(expected, results.get(r), "rank " + r);
        }
    }

    @ParameterizedTest(name = "N={0}")
    @MethodSource("worlds")
    void reduceScatterLeavesEachOwnerItsSummedRegion(int worldSize) {
        int length = 1001;
        // Non-contiguous regions in reverse rank order: the ring must not assume even, ordered shards.
        long[] offsets = new long[worldSize];
        long[] lengths = new long[worldSize];
        for (int r = 0; r < worldSize; r++) {
            offsets[r] = (worldSize - 1 - r) * 240 + 3;
            lengths[r] = r == 0 ? 0 : 97 + r;
        }
        ShardRanges regions = new ShardRanges(offsets, lengths);
        List<float[]> results = TestRing.run(worldSize, SMALL_FRAMES, c -> {
            float[] buf = input(c.rank(), length);
            c.reduceScatter(buf, regions);
            return buf;
        });
        float[] expected = ringSum(worldSize, length, regions);
        for (int r = 0; r < worldSize; r++) {
            for (int i = (int) offsets[r]; i < offsets[r] + lengths[r]; i++) {
                assertEquals(expected[i], results.get(r)[i], "rank " + r + " element " + i);
            }
        }
    }

    @ParameterizedTest(name = "N={0}")
    @MethodSource("worlds")
    void allGatherAndBroadcastCopyExactBits(int worldSize) {
        for (int length : SIZES) {
            ShardRanges regions = ShardRanges.even(0, length, worldSize);
            List<float[][]> results = TestRing.run(worldSize, SMALL_FRAMES, c -> {
                float[] gathered = new float[length];
                float[] own = input(c.rank(), length);
                System.arraycopy(own, (int) regions.offset(c.rank()), gathered, (int) regions.offset(c.rank()),
                        (int) regions.length(c.rank()));
                c.allGather(gathered, regions);
                int root = length % worldSize;
                float[] broadcast = c.rank() == root ? input(root, length) : new float[length];
                c.broadcast(broadcast, 0, length, root);
                return new float[][] {gathered, broadcast};
            });
            float[] expectedGather = new float[length];
            for (int r = 0; r < worldSize; r++) {
                System.arraycopy(input(r, length), (int) regions.offset(r), expectedGather, (int) regions.offset(r),
                        (int) regions.length(r));
            }
            for (int r = 0; r < worldSize; r++) {
                assertArrayEquals(expectedGather, results.get(r)[0], "all-gather rank " + r + " size " + length);
                assertArrayEquals(input(length % worldSize, length), results.get(r)[1],
                        "broadcast rank " + r + " size " + length);
            }
        }
    }

    @ParameterizedTest(name = "N={0}")
    @MethodSource("worlds")
    void nobodyLeavesABarrierBeforeEveryoneEnteredIt(int worldSize) {
        AtomicInteger entered = new AtomicInteger();
        int rounds = 20;
        List<Integer> violations = TestRing.run(worldSize, SMALL_FRAMES, c -> {
            int bad = 0;
            for (int round = 1; round <= rounds; round++) {
                entered.incrementAndGet();
                c.barrier();
                if (entered.get() < round * worldSize) {
                    bad++;
                }
            }
            return bad;
        });
        assertTrue(violations.stream().allMatch(v -> v == 0), "ranks left barriers early: " + violations);
        assertEquals(rounds * worldSize, entered.get());
    }
}
