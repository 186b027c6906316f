package dev.zerospark.model;

import dev.zerospark.testing.TestPaths;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.zerospark.safetensors.SafetensorsFile;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ModelForwardTest {
    static long[][] rows(long[] flat, int b) {
        int t = flat.length / b;
        long[][] out = new long[b][t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(flat, i * t, out[i], 0, t);
        }
        return out;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-llama"})
    void logitsMatchTransformers(String fixture) throws Exception {
        Path dir = TestPaths.fixture(fixture);
        try (NDManager root = NDManager.newBaseManager("PyTorch");
             CausalLm model = ModelLoader.load(dir, root);
             SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference_outputs.safetensors"))) {
            long[][] ids = rows(ref.readLongs("input_ids"), 2);
            float[] expected = ref.readFloats("logits");
            float[] got = model.logits(ids, null);
            double err = maxAbsDiff(expected, got);
            assertTrue(err < 1e-4, fixture + " max abs logits error " + err);

            // Left padding: the logits of the real tokens must not depend on the pads in front of them.
            long[][] padded = new long[2][ids[0].length + 3];
            long[][] mask = new long[2][ids[0].length + 3];
            for (int b = 0; b < 2; b++) {
                padded[b][0] = padded[b][1] = padded[b][2] = 1;
                for (int t = 0; t < ids[0].length; t++) {
                    padded[b][t + 3] = ids[b][t];
                    mask[b][t + 3] = 1;
                }
            }
            float[] pl = model.logits(padded, mask);
            int v = model.config().vocabSize();
            int tp = padded[0].length;
            int t0 = ids[0].length;
            double padErr = 0;
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < t0; t++) {
                    for (int k = 0; k < v; k++) {
                        padErr = Math.max(padErr, Math.abs(pl[(b * tp + t + 3) * v + k] - expected[(b * t0 + t) * v + k]));
                    }
                }
            }
            assertTrue(padErr < 1e-4, fixture + " left-padded max abs logits error " + padErr);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-llama"})
    void forwardLastGivesTheLastPositionsLogitsOnly(String fixture) throws Exception {
        Path dir = TestPaths.fixture(fixture);
        try (NDManager root = NDManager.newBaseManager("PyTorch");
             CausalLm model = ModelLoader.load(dir, root);
             SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference_outputs.safetensors"));
             NDManager m = root.newSubManager()) {
            long[][] ids = rows(ref.readLongs("input_ids"), 2);
            float[] expected = ref.readFloats("logits"); // (B, T, V)
            int t = ids[0].length;
            int v = model.config().vocabSize();
            ai.djl.ndarray.NDArray last = model.forwardLast(m.create(ids),
                    m.create(AttentionMasks.positionIds(null, 2, t, 0)), AttentionMasks.allowed(m, null, 2, t, 0), null);
            assertEquals(new ai.djl.ndarray.types.Shape(2, 1, v), last.getShape());
            float[] want = new float[2 * v];
            for (int b = 0; b < 2; b++) {
                System.arraycopy(expected, (b * t + t - 1) * v, want, b * v, v);
            }
            double err = maxAbsDiff(want, last.toFloatArray());
            assertTrue(err < 1e-4, fixture + " last-position logits error " + err);
        }
    }
}
