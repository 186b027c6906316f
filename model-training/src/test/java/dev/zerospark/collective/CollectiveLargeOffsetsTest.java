package dev.zerospark.collective;

import dev.zerospark.flat.FlatFloats;
import dev.zerospark.flat.internal.SegmentedFloats;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ring at 64-bit offsets: every operation on a region straddling element 2^31 of a segmented buffer of more
 * than 2^31 floats gives exactly the bits of the same operation on a plain array. Segments of 1000 floats are
 * allocated on first write, so each rank holds a few KB, not 8 GiB, and 64-byte frames cross segment edges.
 */
class CollectiveLargeOffsetsTest {
    private static final long BASE = (1L << 31) - 700;
    private static final int LENGTH = 2001;
    private static final long BUFFER = (1L << 31) + 5000;

    static Stream<Arguments> worlds() {
        return Stream.of(2, 3, 4).flatMap(n -> Stream.of(WireFormat.FP32, WireFormat.BF16)
                .map(w -> Arguments.of(n, w)));
    }

    private static float[] input(int rank) {
        Random random = new Random(77L * rank);
        float[] x = new float[LENGTH];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(7) - 3));
        }
        return x;
    }

    @ParameterizedTest(name = "N={0} {1}")
    @MethodSource("worlds")
    void operationsPastElementTwoToThe31MatchThePlainArrayBits(int worldSize, WireFormat wire) {
        CollectiveConfig config = CollectiveConfig.loopback(Duration.ofSeconds(20)).withChunkBytes(64)
                .withReductionWire(wire);
        List<float[][]> results = TestRing.run(worldSize, config, c -> {
            ShardRanges far = ShardRanges.even(BASE, LENGTH, worldSize);
            ShardRanges near = ShardRanges.even(0, LENGTH, worldSize);
            float[][] out = new float[8][];
            // all-reduce
            SegmentedFloats big = (SegmentedFloats) FlatFloats.segmented(BUFFER, 1000);
            big.put(BASE, input(c.rank()), 0, LENGTH);
            c.allReduce(big, far);
            float[] small = input(c.rank());
            c.allReduce(small, near);
            out[0] = read(big);
            out[1] = small;
            assertTrue(big.allocatedSegments() <= 4, big.allocatedSegments() + " segments");
            // reduce-scatter: only the own region is defined afterwards
            big = (SegmentedFloats) FlatFloats.segmented(BUFFER, 1000);
            big.put(BASE, input(c.rank()), 0, LENGTH);
            c.reduceScatter(big, far);
            small = input(c.rank());
            c.reduceScatter(small, near);
            int own = (int) near.offset(c.rank());
            int ownLength = (int) near.length(c.rank());
            out[2] = java.util.Arrays.copyOfRange(read(big), own, own + ownLength);
            out[3] = java.util.Arrays.copyOfRange(small, own, own + ownLength);
            // all-gather, then broadcast from the last rank
            big = (SegmentedFloats) FlatFloats.segmented(BUFFER, 1000);
            big.put(BASE + own, input(c.rank()), own, ownLength);
            c.allGather(big, far);
            small = new float[LENGTH];
            System.arraycopy(input(c.rank()), own, small, own, ownLength);
            c.allGather(small, near);
            out[4] = read(big);
            out[5] = small;
            int root = worldSize - 1;
            big = (SegmentedFloats) FlatFloats.segmented(BUFFER, 1000);
            if (c.rank() == root) {
                big.put(BASE, input(root), 0, LENGTH);
            }
            c.broadcast(big, BASE, LENGTH, root);
            small = c.rank() == root ? input(root) : new float[LENGTH];
            c.broadcast(small, 0, LENGTH, root);
            out[6] = read(big);
            out[7] = small;
            return out;
        });
        for (int r = 0; r < worldSize; r++) {
            float[][] o = results.get(r);
            for (int k = 0; k < o.length; k += 2) {
                assertArrayEquals(o[k + 1], o[k], "rank " + r + " operation " + k / 2);
            }
        }
    }

    private static float[] read(FlatFloats buf) {
        float[] out = new float[LENGTH];
        buf.get(BASE, out, 0, LENGTH);
        return out;
    }
}
