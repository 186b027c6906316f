package dev.zerospark.optim;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * AdamW (SIMD body + scalar tail) must give exactly the bits of the plain per-element PyTorch arithmetic,
 * written out again here as the reference, for odd lengths, offsets, both lerp branches and decay on/off.
 */
class AdamWTest {

    private static void reference(float[] p, float[] g, float[] m, float[] v, int off, int len, long step, double lr,
                                  AdamWConfig c, boolean decay) {
        double bc1 = 1.0 - Math.pow(c.beta1(), step);
        double bc2 = 1.0 - Math.pow(c.beta2(), step);
        float decayFactor = (float) (1.0 - lr * c.weightDecay());
        float w = (float) (1.0 - c.beta1());
        float b2 = (float) c.beta2();
        float omb2 = (float) (1.0 - c.beta2());
        float eps = (float) c.eps();
        float bc2s = (float) Math.sqrt(bc2);
        float neg = (float) -(lr / bc1);
        for (int i = off; i < off + len; i++) {
            float pi = decay ? p[i] * decayFactor : p[i];
            float mi = w < 0.5f ? m[i] + w * (g[i] - m[i]) : g[i] - (g[i] - m[i]) * (1f - w);
            float vi = v[i] * b2 + (omb2 * g[i]) * g[i];
            float denom = (float) Math.sqrt(vi) / bc2s + eps;
            p[i] = pi + neg * (mi / denom);
            m[i] = mi;
            v[i] = vi;
        }
    }

    @Test
    void bitExactWithTheScalarArithmetic() {
        Random rnd = new Random(11);
        for (double beta1 : new double[] {0.9, 0.3}) {
            for (boolean decay : new boolean[] {true, false}) {
                for (int len : new int[] {1, 7, 16, 37, 1000}) {
                    int off = rnd.nextInt(5);
                    int n = off + len + 3;
                    float[] p = new float[n], g = new float[n], m = new float[n], v = new float[n];
                    for (int i = 0; i < n; i++) p[i] = (float) rnd.nextGaussian();
                    float[] p2 = p.clone(), m2 = m.clone(), v2 = v.clone();
                    AdamWConfig c = new AdamWConfig(beta1, 0.95, 1e-8, 0.1);
                    for (long step = 1; step <= 5; step++) {
                        for (int i = 0; i < n; i++) g[i] = (float) (rnd.nextGaussian() * 1e-2);
                        AdamW.update(p, g, m, v, off, len, step, 1e-3, c, decay);
                        reference(p2, g, m2, v2, off, len, step, 1e-3, c, decay);
                    }
                    assertArrayEquals(p2, p, 0f, "params len " + len);
                    assertArrayEquals(m2, m, 0f, "exp_avg len " + len);
                    assertArrayEquals(v2, v, 0f, "exp_avg_sq len " + len);
                }
            }
        }
    }
}
