package dev.zerospark.zero;

import dev.zerospark.collective.CollectiveConfig;
import dev.zerospark.collective.LocalRanks;
import dev.zerospark.model.HfCheckpointWriter;
import dev.zerospark.model.HfConfigs;
import dev.zerospark.safetensors.SafetensorsFile;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.train.ParamSpec;
import dev.zerospark.train.TrainableModel;
import dev.zerospark.train.TrainableModels;
import dev.zerospark.train.TrainingReference;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The production {@link TrainStep} at world size 1 replays the recorded PyTorch run of each fixture: per-step loss,
 * gradient norm and learning rate, then the final weights and AdamW moments against the recording.
 */
class TrainStepTest {
    /** What the recording allows: the forward/backward kernels differ from the recording's by float rounding. */
    private static final double WEIGHT_TOLERANCE = 1e-4;
    private static final double STATE_TOLERANCE = 1e-6;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-llama"})
    void replaysRecordedTrainingRunAtWorldSizeOne(String fixture) throws Exception {
        Path dir = TestPaths.fixture(fixture);
        TrainingReference ref = TrainingReference.read(dir);
        int[][][] batches = TrainingReference.readBatches(dir);
        assertEquals(ref.steps().size(), batches.length);
        LocalRanks.run(1, CollectiveConfig.loopback(Duration.ofSeconds(60)), c -> {
            try (TrainableModel model = TrainableModels.load(dir);
                 ZeroOptimizer zero = ZeroOptimizer.create(c, PartitionLayout.of(
                         TrainingVerifier.flatParams(model.params()), 1, 2), ZeroStage.STAGE_2, ref.recipe().adamW(),
                         ref.recipe().maxGradNorm(), 1 << 22, null, model, false)) {
                TrainStep trainStep = new TrainStep(c, model, zero);
                for (TrainingReference.Step s : ref.steps()) {
                    TrainStep.Result r = trainStep.run(List.of(new TrainStep.MicroBatch(batches[s.step()], null)),
                            ref.recipe().schedule().lr(s.step()));
                    assertEquals(s.lr(), r.lr(), 1e-12, "lr at step " + s.step());
                    double rel = Math.abs(r.loss() - s.loss()) / Math.abs(s.loss());
                    assertTrue(rel < 1e-4, fixture + " step " + s.step() + " loss " + r.loss() + " vs " + s.loss());
                    double normRel = Math.abs(r.gradNorm() - s.gradNormBeforeClip()) / s.gradNormBeforeClip();
                    assertTrue(normRel < 1e-3, fixture + " step " + s.step() + " grad norm " + r.gradNorm() + " vs "
                            + s.gradNormBeforeClip());
                }
                // The weights are read from the model's own tensors: the optimizer wrote them there in place.
                float[] flat = new float[(int) model.numel()];
                model.readParams(flat);
                float[] m = new float[(int) model.numel()];
                float[] v = new float[(int) model.numel()];
                zero.adam().read(ShardedAdamW.State.EXP_AVG, 0, m, 0, m.length);
                zero.adam().read(ShardedAdamW.State.EXP_AVG_SQ, 0, v, 0, v.length);
                try (SafetensorsFile after = SafetensorsFile.open(dir.resolve(TrainingReference.WEIGHTS_AFTER_FILE));
                     SafetensorsFile adam = SafetensorsFile.open(dir.resolve("adamw_state_after_training.safetensors"))) {
                    for (ParamSpec p : model.params()) {
                        assertClose(after.readFloats(p.name()), flat, p, fixture + " weight ", WEIGHT_TOLERANCE);
                        assertClose(adam.readFloats(p.name() + ".exp_avg"), m, p, fixture + " exp_avg ", STATE_TOLERANCE);
                        assertClose(adam.readFloats(p.name() + ".exp_avg_sq"), v, p, fixture + " exp_avg_sq ", STATE_TOLERANCE);
                    }
                }
                // the trained weights save as an HF checkpoint that loads back to the same weights
                Path out = tmp.resolve(fixture);
                HfCheckpointWriter.save(HfConfigs.read(dir), TrainableModels.unflatten(model.params(), flat), out,
                        HfCheckpointWriter.Options.defaults(dir));
                try (TrainableModel back = TrainableModels.load(out)) {
                    float[] reloaded = new float[flat.length];
                    back.readParams(reloaded);
                    assertArrayEquals(flat, reloaded);
                }
            }
            return null;
        });
    }

    /**
     * Spark's task threads (and any thread libtorch did not start) have autograd's grad mode on. The optimizer's
     * in-place copies then must not join the autograd graph: each step would chain more CopySlices nodes onto the
     * optimizer's tensors, and freeing a chain hundreds of steps long recursed off the native stack (the demo's
     * SIGSEGV when training closed after 300 steps).
     */
    @ParameterizedTest
    @ValueSource(strings = {"STAGE_0", "STAGE_2"})
    void optimizerStateStaysOutOfAutogradOnAThreadWithGradModeOn(String stage) throws Exception {
        Path dir = TestPaths.fixture("tiny-gpt2");
        TrainingReference ref = TrainingReference.read(dir);
        int[][][] batches = TrainingReference.readBatches(dir);
        LocalRanks.run(1, CollectiveConfig.loopback(Duration.ofSeconds(60)), c -> {
            ai.djl.engine.Engine.getEngine("PyTorch");
            ai.djl.pytorch.jni.JniUtils.setGradMode(true); // as on a Spark task thread
            try (TrainableModel model = TrainableModels.load(dir);
                 ZeroOptimizer zero = ZeroOptimizer.create(c, PartitionLayout.of(
                         TrainingVerifier.flatParams(model.params()), 1, 2), ZeroStage.valueOf(stage),
                         ref.recipe().adamW(), ref.recipe().maxGradNorm(), 1 << 10, null, model, false)) {
                TrainStep trainStep = new TrainStep(c, model, zero);
                for (int s = 0; s < 2; s++) {
                    trainStep.run(List.of(new TrainStep.MicroBatch(batches[s], null)), 1e-3);
                }
                assertTrue(ai.djl.pytorch.jni.JniUtils.isGradMode(), "the step restores the thread's grad mode");
                for (ShardedAdamW.State s : ShardedAdamW.State.values()) {
                    assertOutsideAutograd(zero.adam().tensor(s), s.toString());
                }
                try (ai.djl.ndarray.NDManager scope = ai.djl.ndarray.NDManager.newBaseManager()) {
                    for (int i = 0; i < model.params().size(); i++) {
                        // the weights stay autograd leaves: an in-place update recorded on them would be a grad_fn
                        ai.djl.pytorch.engine.PtNDArray w = (ai.djl.pytorch.engine.PtNDArray) model.weight(i, scope);
                        assertEquals("ViewBackward0", ai.djl.pytorch.jni.JniUtils.getGradientFunctionNames(w),
                                model.params().get(i).name() + " (a flat view of the leaf)");
                    }
                }
            }
            return null;
        });
    }

    /**
     * At the end of forward+backward (where {@code bench memory} reads the activations' peak) the optimizer holds no
     * reduced gradients at ZeRO-2 with one micro-batch: they are allocated by the reduction after it and freed after
     * AdamW, so their memory and the activations' are never needed at once.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void noReducedGradientsAreHeldDuringForwardAndBackward(int stage) throws Exception {
        Path dir = TestPaths.fixture("tiny-gpt2");
        int[][][] batches = TrainingReference.readBatches(dir);
        LocalRanks.run(2, CollectiveConfig.loopback(Duration.ofSeconds(60)), c -> {
            try (TrainableModel model = TrainableModels.load(dir);
                 ZeroOptimizer zero = ZeroOptimizer.create(c, PartitionLayout.of(
                         TrainingVerifier.flatParams(model.params()), 2, 4), ZeroStage.of(stage),
                         new dev.zerospark.optim.AdamWConfig(0.9, 0.95, 1e-8, 0.1), 1.0, 1 << 22, null, model, false)) {
                TrainStep trainStep = new TrainStep(c, model, zero);
                for (int step = 0; step < 2; step++) {
                    long[] atComputeDone = {-1};
                    trainStep.run(List.of(new TrainStep.MicroBatch(batches[step], null)), 1e-3,
                            () -> atComputeDone[0] = zero.reducedGradientBytesHeld());
                    assertEquals(0, atComputeDone[0], "ZeRO-" + stage + " step " + step + " at the end of backward");
                    assertEquals(0, zero.reducedGradientBytesHeld(), "ZeRO-" + stage + " after step " + step);
                }
            }
            return null;
        });
    }

    private static void assertOutsideAutograd(ai.djl.ndarray.NDArray t, String what) {
        // (a tensor with a grad_fn requires grad; DJL's grad_fn name crashes on a tensor without one)
        ai.djl.pytorch.engine.PtNDArray pt = (ai.djl.pytorch.engine.PtNDArray) t;
        assertFalse(ai.djl.pytorch.jni.JniUtils.requiresGrad(pt),
                () -> what + " joined the autograd graph: " + ai.djl.pytorch.jni.JniUtils.getGradientFunctionNames(pt));
    }

    private static void assertClose(float[] expected, float[] flat, ParamSpec p, String what, double tolerance) {
        double maxErr = 0;
        int worst = -1;
        for (int i = 0; i < expected.length; i++) {
            double e = Math.abs(expected[i] - flat[(int) p.offset() + i]);
            if (e > maxErr) {
                maxErr = e;
                worst = i;
            }
        }
        LoggerFactory.getLogger(TrainStepTest.class).info("{}{}: max abs error {} at {}", what, p.name(), maxErr, worst);
        assertTrue(maxErr <= tolerance, what + p.name() + " max abs error " + maxErr + " at " + worst);
    }
}
