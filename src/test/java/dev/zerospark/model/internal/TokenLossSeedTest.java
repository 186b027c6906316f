package dev.zerospark.model.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.zerospark.model.GradMode;
import dev.zerospark.model.Precision;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fused loss and logits gradient give the bits of the same ops run one by one through DJL. */
class TokenLossSeedTest {
    private static final int B = 3;
    private static final int T = 7;
    private static final int V = 37;

    @Test
    void fp32MatchesTheOpByOpPathBitForBit() {
        check(Precision.FP32);
    }

    @Test
    void bf16LogitsAreUpcastPerRowLikeTheOpByOpPath() {
        check(Precision.BF16);
    }

    private static void check(Precision dtype) {
        Random r = new Random(11);
        float[] values = new float[B * T * V];
        for (int i = 0; i < values.length; i++) values[i] = (float) (4 * r.nextGaussian());
        long[] labels = new long[B * T];
        float[] mask = new float[B * T];
        float[] weight = new float[B * T];
        float gradScale = 0.37f;
        for (int i = 0; i < B * T; i++) {
            boolean last = i % T == T - 1; // the last position predicts nothing: weight 0, dummy label 0
            labels[i] = last ? 0 : r.nextInt(V);
            mask[i] = last ? 0f : (r.nextInt(4) == 0 ? 0f : 1f);
            weight[i] = mask[i] * gradScale;
        }
        try (NDManager m = NDManager.newBaseManager("PyTorch")) { // loads libtorch before the JNI calls
            try (GradMode off = GradMode.off()) {
                compare(m, dtype, values, labels, mask, weight);
            }
        }
    }

    private static void compare(NDManager m, Precision dtype, float[] values, long[] labels, float[] mask,
                                float[] weight) {
        {
            NDArray logits = dtype.fromFloat32(m.create(values, new Shape(B, T, V))); // DJL's toType(BF16) aborts
            Shape column = new Shape(B, T, 1);
            NDArray seed = m.zeros(new Shape(B, T, V), DataType.FLOAT32);
            NDArray sums = m.zeros(new Shape(B), DataType.FLOAT32);
            TokenLossSeed.run(logits, m.create(labels, column), m.create(mask, column), m.create(weight, column), seed,
                    sums);

            float[] expectedSums = new float[B];
            float[] expectedSeed = new float[B * T * V];
            NDArray one = m.create(1f);
            for (int i = 0; i < B; i++) {
                long[] rowLabels = java.util.Arrays.copyOfRange(labels, i * T, (i + 1) * T);
                NDArray label = m.create(rowLabels, new Shape(T, 1));
                NDArray row = logits.get(i).toType(DataType.FLOAT32, false);
                NDArray logp = row.logSoftmax(1);
                NDArray picked = logp.gather(label, 1);
                expectedSums[i] = picked.mul(m.create(java.util.Arrays.copyOfRange(mask, i * T, (i + 1) * T),
                        new Shape(T, 1))).sum().getFloat();
                NDArray grad = JniUtils.scatter((PtNDArray) logp.exp(), (PtNDArray) label,
                        (PtNDArray) picked.exp().sub(one), 1);
                grad.muli(m.create(java.util.Arrays.copyOfRange(weight, i * T, (i + 1) * T), new Shape(T, 1)));
                System.arraycopy(grad.toFloatArray(), 0, expectedSeed, i * T * V, T * V);
            }
            assertArrayEquals(expectedSums, sums.toFloatArray());
            assertArrayEquals(expectedSeed, seed.toFloatArray());
            assertEquals(0f, Math.abs(seed.toFloatArray()[(T - 1) * V])); // the last position gets weight 0
        }
    }
}
