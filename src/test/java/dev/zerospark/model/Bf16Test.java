package dev.zerospark.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class Bf16Test {
    /** fp32 -> bf16 -> fp32 by the bits: round to nearest, ties to even (what torch's cast does). */
    private static float roundTrip(float f) {
        int bits = Float.floatToRawIntBits(f);
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(rounded & 0xFFFF0000);
    }

    @Test
    void castsToBf16RoundingToNearestEvenAndUpcastsBack() {
        float[] values = {1f, 1f + 0x1p-8f, 1f + 3 * 0x1p-8f, (float) Math.PI, -2.5e-3f, 1e30f, -0f};
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray x = m.create(values);
            NDArray b = Bf16.of(x);
            assertTrue(Bf16.is(b));
            assertFalse(Bf16.is(x));
            float[] expected = new float[values.length];
            for (int i = 0; i < values.length; i++) expected[i] = roundTrip(values[i]);
            assertArrayEquals(expected, Bf16.toFloatArray(b));
            assertArrayEquals(new float[] {1f, 1f, 1f + 0x1p-6f}, new float[] {expected[0], expected[1], expected[2]}, "ties go to even");
        }
    }

    @Test
    void zerosAreOrdinaryTensorsThatCanBeWrittenInPlace() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray z = Bf16.zeros(m, new Shape(2, 3), Device.cpu());
            assertTrue(Bf16.is(z));
            // an output of c10::InferenceMode would refuse this in-place write (the KV cache does it every step)
            z.set(new NDIndex("1, :"), Bf16.of(m.create(new float[] {1f, 2f, 3f})));
            assertArrayEquals(new float[] {0, 0, 0, 1, 2, 3}, Bf16.toFloatArray(z));
        }
    }
}
