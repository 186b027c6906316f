package dev.zerospark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.zerospark.model.AttentionMasks;
import dev.zerospark.model.GradMode;
import dev.zerospark.model.Parameters;
import dev.zerospark.testing.TestPaths;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class DjlTrainableModelTest {
    private static final Path GPT2 = TestPaths.fixture("tiny-gpt2");

    private static int[][] batch() throws Exception {
        return TrainingReference.readBatches(GPT2)[0];
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void layoutIsCanonicalAndContiguous() throws Exception {
        try (TrainableModel m = TrainableModels.load(GPT2)) {
            List<ParamSpec> ps = m.params();
            assertEquals("transformer.wte.weight", ps.get(0).name());
            assertEquals("transformer.ln_f.bias", ps.get(ps.size() - 1).name());
            assertEquals(28, ps.size(), "tied LM head must not appear twice");
            long off = 0;
            for (ParamSpec p : ps) {
                assertEquals(off, p.offset());
                assertEquals(p.shape().length >= 2, p.decay(), p.name());
                off += p.numel();
            }
            assertEquals(off, m.numel());
        }
    }

    @Test
    void forwardOnlyLossEqualsTheTrainingLossAndLeavesNoGradient() throws Exception {
        int[][] full = batch();
        float[][] mask = new float[full.length][full[0].length];
        for (int b = 0; b < full.length; b++) {
            for (int t = 0; t < full[b].length; t++) mask[b][t] = (b + t) % 3 == 0 ? 0f : 1f;
        }
        try (TrainableModel m = TrainableModels.load(GPT2)) {
            int n = (int) m.numel();
            for (float[][] lossMask : new float[][][] {null, mask}) {
                LossSum trained = m.forwardBackward(full, lossMask, 1f, new float[n]);
                LossSum forward = m.loss(full, lossMask);
                assertEquals(trained.tokens(), forward.tokens());
                assertEquals(trained.sum(), forward.sum(), 1e-5 * Math.abs(trained.sum()));
                // row by row in passes of one equals the whole batch in one pass
                LossSum perRow = TokenNll.over(((DjlTrainableModel) m).model(), full, lossMask, 1);
                assertEquals(forward.sum(), perRow.sum(), 1e-5 * Math.abs(forward.sum()));
            }
            float[] g1 = new float[n];
            m.forwardBackward(full, null, 1f, g1);
            m.loss(full, null);
            float[] g2 = new float[n];
            m.forwardBackward(full, null, 1f, g2);
            assertTrue(maxDiff(g1, g2) < 1e-6, "loss() left a gradient behind: " + maxDiff(g1, g2));
            assertFalse(JniUtils.isGradMode(), "grad mode is restored");
        }
    }

    @Test
    void microBatchesAccumulateToTheFullBatchGradient() throws Exception {
        int[][] full = batch();
        int[][] a = {full[0], full[1]};
        int[][] b = {full[2], full[3]};
        try (TrainableModel m = TrainableModels.load(GPT2)) {
            int n = (int) m.numel();
            long tokens = TrainableModel.countTargets(full, null);
            float[] gFull = new float[n];
            LossSum lf = m.forwardBackward(full, null, 1f / tokens, gFull);
            float[] gParts = new float[n];
            LossSum la = m.forwardBackward(a, null, 1f / tokens, gParts);
            LossSum lb = m.forwardBackward(b, null, 1f / tokens, gParts);
            assertEquals(tokens, lf.tokens());
            assertEquals(lf.tokens(), la.tokens() + lb.tokens());
            assertEquals(lf.sum(), la.sum() + lb.sum(), 1e-3);
            assertTrue(maxDiff(gFull, gParts) < 1e-6, "accumulated grads differ by " + maxDiff(gFull, gParts));

            // gradOut is added to, not overwritten, and gradScale scales linearly
            float[] twice = gFull.clone();
            m.forwardBackward(full, null, 1f / tokens, twice);
            float[] doubled = new float[n];
            m.forwardBackward(full, null, 2f / tokens, doubled);
            assertTrue(maxDiff(twice, doubled) < 1e-6);
            assertTrue(Math.abs(twice[0] - 2 * gFull[0]) <= 1e-6 + 1e-5 * Math.abs(gFull[0]));
        }
    }

    /**
     * The fused cross-entropy (gradient written straight into the logits' seed) against autograd through
     * log_softmax + gather, on a batch with a loss mask that drops some targets.
     */
    @Test
    void fusedLossMatchesAutogradThroughLogSoftmax() throws Exception {
        int[][] ids = batch();
        int b = ids.length;
        int t = ids[0].length;
        float[][] mask = new float[b][t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                mask[i][j] = (i + j) % 3 == 0 ? 0f : 1f;
            }
        }
        float scale = 0.37f;
        try (DjlTrainableModel m = (DjlTrainableModel) TrainableModels.load(GPT2)) {
            int n = (int) m.numel();
            float[] fused = new float[n];
            LossSum loss = m.forwardBackward(ids, mask, scale, fused);

            double refLoss;
            float[] ref = new float[n];
            Parameters params = m.model().parameters();
            try (GradMode on = GradMode.on(); NDManager nd = params.manager().newSubManager()) {
                NDArray x = nd.create(ids).toType(DataType.INT64, false);
                NDArray logits = m.model().forward(x,
                        nd.create(AttentionMasks.positionIds(null, b, t, 0)),
                        AttentionMasks.allowed(nd, null, b, t, 0), null);   // (B, T, V)
                NDIndex next = new ai.djl.ndarray.index.NDIndex(":, 1:");
                NDArray logp = logits.get(new ai.djl.ndarray.index.NDIndex(":, :-1")).logSoftmax(2);
                NDArray nll = logp.gather(x.get(next).expandDims(2), 2).neg()
                        .mul(nd.create(mask).get(next).expandDims(2));                          // (B, T-1, 1)
                NDArray sum = nll.sum();
                refLoss = sum.getFloat();
                JniUtils.backward((PtNDArray) sum,
                        (PtNDArray) nd.create(scale), false, false);
                for (ParamSpec s : m.params()) {
                    NDArray g = params.get(s.name()).getGradient();
                    g.attach(nd);
                    float[] v = g.toFloatArray();
                    System.arraycopy(v, 0, ref, (int) s.offset(), v.length);
                    JniUtils.zeroGrad((PtNDArray) params.get(s.name()));
                }
            }
            assertEquals(refLoss, loss.sum(), 1e-4 * Math.abs(refLoss));
            double maxRef = 0;
            for (float v : ref) {
                maxRef = Math.max(maxRef, Math.abs(v));
            }
            assertTrue(maxRef > 0, "reference gradient is all zero");
            assertTrue(maxDiff(fused, ref) < 1e-5 * maxRef, "fused grads differ by " + maxDiff(fused, ref)
                    + " (largest reference gradient " + maxRef + ")");
        }
    }

    @Test
    void paddedGradientBufferGetsTheGradientAndKeepsItsTail() throws Exception {
        int[][] full = batch();
        try (TrainableModel m = TrainableModels.load(GPT2)) {
            int n = (int) m.numel();
            float[] exact = new float[n];
            m.forwardBackward(full, null, 1f, exact);
            int pad = 13;
            float[] padded = new float[n + pad];
            java.util.Arrays.fill(padded, n, n + pad, 7.5f);
            m.forwardBackward(full, null, 1f, padded);
            assertArrayEquals(exact, java.util.Arrays.copyOf(padded, n));
            for (int i = n; i < n + pad; i++) {
                assertEquals(7.5f, padded[i], "padding element " + i + " was written");
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.forwardBackward(full, null, 1f, new float[n - 1]));
            assertTrue(e.getMessage().contains("gradOut"), e.getMessage());
        }
    }

    @Test
    void lossMaskSelectsLabelPositions() throws Exception {
        int[][] full = batch();
        int t = full[0].length;
        float[][] ones = new float[full.length][t];
        float[][] half = new float[full.length][t];
        for (int r = 0; r < full.length; r++) {
            java.util.Arrays.fill(ones[r], 1f);
            for (int c = t / 2; c < t; c++) {
                half[r][c] = 1f;
            }
        }
        try (TrainableModel m = TrainableModels.load(GPT2)) {
            int n = (int) m.numel();
            LossSum none = m.forwardBackward(full, null, 1f, new float[n]);
            LossSum all = m.forwardBackward(full, ones, 1f, new float[n]);
            assertEquals(none.sum(), all.sum(), 1e-4);
            assertEquals(none.tokens(), all.tokens());
            float[] g = new float[n];
            LossSum masked = m.forwardBackward(full, half, 1f, g);
            assertEquals((long) full.length * (t - t / 2), masked.tokens());
            assertTrue(masked.sum() < none.sum() && masked.sum() > 0);
            // the second half of the sequence alone: its loss equals the masked loss for the same positions
            assertFalse(java.util.Arrays.equals(g, new float[n]));
        }
    }

    @Test
    void concurrentModelsOnDifferentThreadsComputeIndependentGradients() throws Exception {
        int[][] full = batch();
        float[] expected;
        try (TrainableModel m = TrainableModels.load(GPT2)) {
            expected = new float[(int) m.numel()];
            m.forwardBackward(full, null, 1f, expected);
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<float[]>> futures = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                futures.add(pool.submit(() -> {
                    try (TrainableModel m = TrainableModels.load(GPT2)) {
                        float[] g = new float[(int) m.numel()];
                        for (int rep = 0; rep < 3; rep++) {
                            java.util.Arrays.fill(g, 0f);
                            m.forwardBackward(full, null, 1f, g);
                        }
                        return g;
                    }
                }));
            }
            for (Future<float[]> f : futures) {
                assertTrue(maxDiff(expected, f.get()) < 1e-5, "thread grads differ by " + maxDiff(expected, f.get()));
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void stepsDoNotLeakNativeArrays() throws Exception {
        int[][] full = batch();
        try (DjlTrainableModel m = (DjlTrainableModel) TrainableModels.load(GPT2)) {
            NDManager owner = m.model().parameters().manager();
            float[] w = new float[(int) m.numel()];
            float[] g = new float[w.length];
            m.forwardBackward(full, null, 1f, g);
            m.readParams(w);
            m.writeParams(w);
            int live = owner.getManagedArrays().size();
            for (int i = 0; i < 3; i++) {
                m.forwardBackward(full, null, 1f, g);
                m.writeParams(w);
            }
            assertEquals(live, owner.getManagedArrays().size(), "arrays alive in the model's manager");
            new dev.zerospark.generate.Generator(m.model()).generate(new int[][] {{1, 2, 3}}, null,
                    dev.zerospark.generate.GenerationOptions.greedy(4, List.of(), 0), null);
            assertEquals(live, owner.getManagedArrays().size(), "arrays alive after generation");
        }
    }

    @Test
    void writeThenReadParamsRoundTrips() throws Exception {
        try (TrainableModel m = TrainableModels.load(GPT2)) {
            float[] w = new float[(int) m.numel()];
            m.readParams(w);
            for (int i = 0; i < w.length; i++) {
                w[i] += 0.001f * (i % 7);
            }
            m.writeParams(w);
            float[] back = new float[w.length];
            m.readParams(back);
            assertArrayEquals(w, back);
            // gradients still flow after the swap
            float[] g = new float[w.length];
            m.forwardBackward(batch(), null, 1f, g);
            assertFalse(java.util.Arrays.equals(g, new float[w.length]));
            assertThrows(IllegalArgumentException.class, () -> m.writeParams(new float[3]));
        }
    }

    @Test
    void writeParamsUpdatesTheExistingTensorsInPlace() throws Exception {
        int[][] full = batch();
        try (DjlTrainableModel m = (DjlTrainableModel) TrainableModels.load(GPT2)) {
            Parameters p = m.model().parameters();
            java.util.Map<String, ai.djl.ndarray.NDArray> before = new java.util.HashMap<>(p.arrays());
            float[] w = new float[(int) m.numel()];
            m.readParams(w);
            float[] g0 = new float[w.length];
            m.forwardBackward(full, null, 1f, g0);
            for (int i = 0; i < w.length; i++) {
                w[i] *= 0.5f;
            }
            m.writeParams(w);
            for (ParamSpec s : m.params()) {
                assertTrue(before.get(s.name()) == p.get(s.name()), s.name() + " was replaced, not updated");
                float[] expect = new float[(int) s.numel()];
                System.arraycopy(w, (int) s.offset(), expect, 0, expect.length);
                assertArrayEquals(expect, p.get(s.name()).toFloatArray(), s.name());
            }
            // the next step trains the halved weights: different gradients, and still a leaf with a gradient
            float[] g1 = new float[w.length];
            m.forwardBackward(full, null, 1f, g1);
            assertTrue(maxDiff(g0, g1) > 1e-4, "gradient unchanged after the weights were halved");
            assertTrue(p.get("transformer.wte.weight").hasGradient());
        }
    }
}
