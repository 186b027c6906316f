package dev.zerospark.zero.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
