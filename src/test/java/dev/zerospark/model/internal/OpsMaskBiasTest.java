package dev.zerospark.model.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OpsMaskBiasTest {
    /** Adding the bias gives bit for bit the probabilities of a masked fill with -Float.MAX_VALUE, pad rows too. */
    @Test
    void addedBiasSoftmaxesLikeTheMaskedFill() {
        int b = 2;
        int h = 3;
        int t = 5;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Scalars c = new Scalars(m);
            boolean[] allowed = AttentionCases.causalAndLeftPadded(t); // b = 2
            NDArray mask = m.create(allowed, new Shape(b, 1, t, t));
            float[] s = new float[b * h * t * t];
            Random r = new Random(1);
            for (int i = 0; i < s.length; i++) {
                s[i] = (float) (r.nextGaussian() * 30);
            }
            NDArray scores = m.create(s, new Shape(b, h, t, t));
            NDArray filled = JniUtils.where((PtNDArray) mask, (PtNDArray) scores, (PtNDArray) c.of(-Float.MAX_VALUE));
            float[] expected = filled.softmax(-1).toFloatArray();
            float[] got = scores.add(Ops.maskBias(mask, c)).softmax(-1).toFloatArray();
            assertArrayEquals(expected, got);
            // the fully masked query of batch 1 attends uniformly, not NaN
            assertEquals(1f / t, got[(h * t) * t], 0f);
        }
    }
}
