package dev.zerospark.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.zerospark.flat.FlatFloats;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** Tensors built in pieces (as those past DJL's 2^29-element create limit are) hold exactly the source values. */
class LargeTensorsTest {
    @Test
    void piecewiseCreationEqualsDirectCreation() throws Exception {
        float[] values = new float[45];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.37f - 3f;
        }
        // The source lies past element 2^31 of a long-indexed buffer, as a huge tensor's elements would.
        long base = (1L << 31) + 11;
        FlatFloats source = FlatFloats.segmented(base + values.length, 16);
        source.put(base, values, 0, values.length);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            for (int maxChunk : new int[] {1, 7, 9, 44, 45, 1000}) {
                NDArray t = LargeTensors.create(manager, new Shape(5, 9),
                        (from, dst, n) -> source.get(base + from, dst, 0, n), maxChunk);
                assertEquals(new Shape(5, 9), t.getShape(), "chunk " + maxChunk);
                assertSame(manager, t.getManager(), "chunk " + maxChunk);
                assertArrayEquals(values, t.toFloatArray(), "chunk " + maxChunk);
                assertArrayEquals(manager.create(values, new Shape(5, 9)).toFloatArray(), t.toFloatArray());
                assertEquals(0f, t.get(0, 0).sub(-3f).getFloat(), "row-major order, chunk " + maxChunk);
            }
        }
    }

    /**
     * A tensor's memory is libtorch's, not a direct Java buffer that only a GC would free: building a 48 MiB tensor
     * leaves the JVM's direct memory where one staging buffer put it, and the values are all there.
     */
    @Test
    void tensorsLiveInLibtorchMemoryNotInDirectJavaBuffers() throws Exception {
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(p -> p.getName().equals("direct")).findFirst().orElseThrow();
        int n = 3 * LargeTensors.MAX_CREATE_ELEMENTS;                                   // 48 MiB of fp32
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            LargeTensors.create(manager, new Shape(4), (from, dst, k) -> { }, 4).close(); // this thread's staging
            long before = direct.getMemoryUsed();
            NDArray t = LargeTensors.create(manager, new Shape(n / 1024, 1024),
                    (from, dst, k) -> { for (int i = 0; i < k; i++) dst[i] = from + i; }, 1 << 28);
            long grown = direct.getMemoryUsed() - before;
            assertTrue(grown < 4L * n / 8, "direct memory grew by " + grown + " bytes for a " + 4L * n + "-byte tensor");
            float[] back = t.toFloatArray();
            for (int i = 0; i < n; i += 9973) {
                assertEquals((float) i, back[i], "element " + i);
            }
            assertEquals((float) (n - 1), back[n - 1]);
        }
    }
}
