package dev.zerospark.zero.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Host transfers address the slice they are given (its storage offset), across chunk boundaries. */
class TensorsTest {
    @Test
    void readsAndWritesSlicesAtTheirOffsetsInChunks() {
        int n = 3 * Tensors.CHUNK + 77;
        float[] values = new float[n];
        Random random = new Random(3);
        for (int i = 0; i < n; i++) values[i] = random.nextFloat();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray t = Tensors.zeros(m, n + 10);
            Tensors.write(t, 5, values, 0, n);
            float[] whole = t.toFloatArray();
            assertEquals(0f, whole[4]);
            assertEquals(values[0], whole[5]);
            assertEquals(values[n - 1], whole[n + 4]);
            assertEquals(0f, whole[n + 5]);
            // a direct view of a slice starts at the slice's first element
            try (NDManager scope = m.newSubManager()) {
                NDArray slice = Tensors.slice(t, 5 + Tensors.CHUNK, 100, scope);
                assertEquals(values[Tensors.CHUNK], Tensors.host(slice, scope).get(0));
            }
            float[] back = new float[n - 1000];
            Tensors.read(t, 1005, back, 0, back.length);
            assertArrayEquals(java.util.Arrays.copyOfRange(values, 1000, n), back);
            NDArray sq = m.create(new float[] {3f, 4f});
            assertEquals(25.0, Tensors.sumOfSquares(sq));
        }
    }

    /**
     * The CPU sum of squares reads the slice it is given (from its storage offset), over block boundaries and a
     * partial last block, matches a sequential double sum up to the additions' rounding, and gives the same bits
     * with one libtorch thread as with two (its blocks are fixed, not per thread).
     */
    @Test
    void sumOfSquaresReadsTheSliceAndDoesNotDependOnThreads() {
        int n = 5 * Tensors.SQUARES_BLOCK + 123;
        float[] values = new float[n + 7];
        Random random = new Random(5);
        for (int i = 0; i < values.length; i++) values[i] = (float) random.nextGaussian();
        double expected = 0;
        for (int i = 7; i < n + 7; i++) expected += (double) values[i] * values[i];
        int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        try (NDManager m = NDManager.newBaseManager("PyTorch"); NDManager scope = m.newSubManager()) {
            NDArray slice = Tensors.slice(m.create(values), 7, n, scope);
            ai.djl.pytorch.jni.JniUtils.setNumThreads(2);
            double two = Tensors.sumOfSquares(slice);
            ai.djl.pytorch.jni.JniUtils.setNumThreads(1);
            double one = Tensors.sumOfSquares(slice);
            assertEquals(expected, two, expected * 1e-12);
            assertEquals(Double.doubleToLongBits(one), Double.doubleToLongBits(two));
        } finally {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
        }
    }

    /**
     * On the CPU a write goes straight into the tensor's memory (a resume writes every optimizer element through
     * here): no temporary tensor over a fresh direct Java buffer per chunk, a copy more that only a GC would free.
     */
    @Test
    void aCpuWriteGoesStraightIntoTheTensorsMemory() {
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(p -> p.getName().equals("direct")).findFirst().orElseThrow();
        int n = 4 * Tensors.CHUNK; // 16 MiB of fp32
        float[] values = new float[n];
        for (int i = 0; i < n; i++) values[i] = i * 0.5f;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray t = Tensors.zeros(m, n + 3);
            Tensors.write(t, 0, values, 0, 8); // first use: any one-time buffers
            long before = direct.getMemoryUsed();
            Tensors.write(t, 3, values, 0, n);
            long grown = direct.getMemoryUsed() - before;
            assertTrue(grown < 4L * Tensors.CHUNK / 4, "direct memory grew by " + grown + " bytes writing " + 4L * n);
            float[] back = new float[n];
            Tensors.read(t, 3, back, 0, n);
            assertArrayEquals(values, back);
            assertEquals(values[2], t.getFloat(2)); // the warm-up's, untouched
        }
    }
}
