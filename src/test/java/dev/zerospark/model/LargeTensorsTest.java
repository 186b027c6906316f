package dev.zerospark.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.zerospark.flat.FlatFloats;
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
}
