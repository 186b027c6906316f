package dev.zerospark.model.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.zerospark.model.GradMode;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * fp32 attention through the fused kernel matches the explicit softmax(scale q k^T + bias) v, values and gradients of
 * q, k and v, with a causal batch and a left-padded one whose first query is fully masked (uniform, not NaN; no
 * upstream gradient there, as in a model).
 */
class FusedAttentionTest {
    private static final int B = 2;
    private static final int H = 3;
    private static final int T = 6;
    private static final int D = 8;

    @Test
    void matchesTheExplicitFormulaWithGradients() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) { // loads libtorch before the JNI calls
            try (GradMode on = GradMode.on()) {
                Scalars c = new Scalars(m);
                boolean[] allowed = AttentionCases.causalAndLeftPadded(T); // B = 2
                NDArray bias = Ops.maskBias(m.create(allowed, new Shape(B, 1, T, T)), c);
                float scale = 0.125f;
                float[][] fused = run(m, bias, scale, true, c);
                float[][] explicit = run(m, bias, scale, false, c);
                for (int a = 0; a < fused.length; a++) {
                    for (int i = 0; i < fused[a].length; i++) {
                        assertTrue(Float.isFinite(fused[a][i]), "output " + a + " element " + i);
                        assertEquals(explicit[a][i], fused[a][i], 1e-5f * (1 + Math.abs(explicit[a][i])),
                                "output " + a + " element " + i);
                    }
                }
                // batch 1, query 0 attends uniformly: its output is the mean of v over all keys
                float[] v = values(2);
                for (int h = 0; h < H; h++) {
                    for (int d = 0; d < D; d++) {
                        double mean = 0;
                        for (int s = 0; s < T; s++) mean += v[(((H + h) * T) + s) * D + d] / (double) T;
                        assertEquals(mean, fused[0][(((H + h) * T)) * D + d], 1e-5);
                    }
                }
            }
        }
    }

    private static float[] values(int seed) {
        Random r = new Random(seed);
        float[] x = new float[B * H * T * D];
        for (int i = 0; i < x.length; i++) x[i] = (float) (3 * r.nextGaussian());
        return x;
    }

    /** Output and the gradients of q, k, v for a fixed upstream gradient, fused or explicit. */
    private static float[][] run(NDManager m, NDArray bias, float scale, boolean fused, Scalars c) {
        Shape shape = new Shape(B, H, T, D);
        NDArray q = m.create(values(0), shape);
        NDArray k = m.create(values(1), shape);
        NDArray v = m.create(values(2), shape);
        for (NDArray x : new NDArray[] {q, k, v}) x.setRequiresGradient(true);
        NDArray out;
        if (fused) {
            out = Ops.attention(q, k, v, bias, scale, c);
        } else {
            NDArray kT = k.transpose(0, 1, 3, 2);
            out = q.matMul(kT).mul(c.of(scale)).add(bias).softmax(-1).matMul(v);
        }
        // In a model a fully masked query (a pad position) gets no gradient: nothing reads its output but its own
        // position, whose loss weight is 0 and whose key and value every query masks. The fused backward relies on it
        // (it recomputes such a row's probabilities as 1, not 1/S, which a zero upstream gradient makes harmless).
        float[] up = values(3);
        for (int h = 0; h < H; h++) {
            for (int d = 0; d < D; d++) up[((H + h) * T) * D + d] = 0f;
        }
        NDArray upstream = m.create(up, shape);
        JniUtils.backward((PtNDArray) out, (PtNDArray) upstream, false, false);
        return new float[][] {out.toFloatArray(), q.getGradient().toFloatArray(), k.getGradient().toFloatArray(),
                v.getGradient().toFloatArray()};
    }
}
