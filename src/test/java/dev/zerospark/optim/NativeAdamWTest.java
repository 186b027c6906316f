package dev.zerospark.optim;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The fused host update with the clipping multiply and the weight write-back in its pass gives the bits of the
 * three passes it replaces: multiply the gradients in fp32, update, copy the weights out.
 */
class NativeAdamWTest {
    private static final AdamWConfig CONFIG = new AdamWConfig(0.9, 0.95, 1e-8, 0.1);

    private static ByteBuffer direct(float[] values) {
        ByteBuffer b = ByteBuffer.allocateDirect(4 * values.length).order(ByteOrder.nativeOrder());
        b.asFloatBuffer().put(values);
        return b;
    }

    private static float[] floats(ByteBuffer b) {
        float[] v = new float[b.capacity() / 4];
        b.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer().get(v);
        return v;
    }

    private static float[] gaussian(Random random, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (random.nextGaussian() * scale);
        return v;
    }

    @Test
    void scaledGradientsAndWeightsWrittenOutGiveTheBitsOfSeparatePasses() {
        // 1037: whole SIMD vectors and a scalar tail; a few steps so the moments matter.
        int n = 1037;
        Random random = new Random(3);
        float[] w = gaussian(random, n, 0.5);
        ByteBuffer fusedW = direct(w);
        ByteBuffer fusedM = direct(new float[n]);
        ByteBuffer fusedV = direct(new float[n]);
        ByteBuffer out = direct(new float[n]);
        ByteBuffer plainW = direct(w);
        ByteBuffer plainM = direct(new float[n]);
        ByteBuffer plainV = direct(new float[n]);
        for (int step = 1; step <= 3; step++) {
            float[] g = gaussian(random, n, 0.05);
            float coef = step == 2 ? 1f : 0.37f + step * 0.01f; // clipped, not clipped, clipped
            NativeAdamW.update(fusedW, direct(g), fusedM, fusedV, n, step, 1e-2, CONFIG, step != 3, coef, out);
            float[] scaled = g.clone();
            if (coef != 1f) for (int i = 0; i < n; i++) scaled[i] = scaled[i] * coef;
            NativeAdamW.update(plainW, direct(scaled), plainM, plainV, n, step, 1e-2, CONFIG, step != 3);
            assertArrayEquals(floats(plainW), floats(fusedW), "weights after step " + step);
            assertArrayEquals(floats(plainM), floats(fusedM), "exp_avg after step " + step);
            assertArrayEquals(floats(plainV), floats(fusedV), "exp_avg_sq after step " + step);
            assertArrayEquals(floats(fusedW), floats(out), "weights written out at step " + step);
        }
        assertEquals(false, java.util.Arrays.equals(w, floats(out)), "the weights moved");
    }
}
