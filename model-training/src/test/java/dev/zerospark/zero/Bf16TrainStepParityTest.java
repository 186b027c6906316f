package dev.zerospark.zero;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.collective.CollectiveConfig;
import dev.zerospark.collective.LocalRanks;
import dev.zerospark.model.Precision;
import dev.zerospark.safetensors.HalfFloats;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.train.Bf16TrainingParityTest;
import dev.zerospark.train.DjlTrainableModel;
import dev.zerospark.train.MasterWeightCheck;
import dev.zerospark.train.TrainableModels;
import dev.zerospark.train.TrainingReference;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * bf16 mixed precision through the production {@link TrainStep} against {@code training_reference_bf16.json}, an
 * independent PyTorch bf16 run of the fixture's recipe, with the checks of issue 13: kernels that are equally valid
 * already differ by ~2e-4 in loss, so the tolerances bound a different engine, and the structural checks (the live
 * weight and gradient tensors are bf16 at every step) prove the run is bf16, not fp32 passing by luck.
 */
class Bf16TrainStepParityTest {
    private static final Logger LOG = LoggerFactory.getLogger(Bf16TrainStepParityTest.class);
    private static final Path GPT2 = TestPaths.fixture("tiny-gpt2");

    @Test
    void replaysTheBf16ReferenceRun() throws Exception {
        TrainingReference ref = TrainingReference.read(GPT2.resolve(TrainingReference.BF16_FILE));
        TrainingReference.Recipe recipe = ref.recipe();
        int[][][] batches = TrainingReference.readBatches(GPT2);
        MasterWeightCheck check = LocalRanks.run(1, CollectiveConfig.loopback(Duration.ofSeconds(60)), c -> {
            try (DjlTrainableModel model = (DjlTrainableModel) TrainableModels.load(GPT2, ai.djl.Device.cpu(),
                    Precision.BF16);
                 ZeroOptimizer zero = ZeroOptimizer.create(c, PartitionLayout.of(TrainingVerifier.flatParams(
                         model.params()), 1, 2), ZeroStage.STAGE_0, recipe.adamW(), recipe.maxGradNorm(), 1 << 22,
                         null, model, false)) {
                int numel = (int) model.numel();
                float[] initial = new float[numel];
                model.readParams(initial);
                // the master weights start from the fp32 checkpoint, not from its bf16 rounding (recipe.precision)
                int notBf16 = 0;
                for (float w : initial) if (HalfFloats.bf16ToFloat(HalfFloats.toBf16(w)) != w) notBf16++;
                assertTrue(notBf16 > numel / 2, "initial master weights are bf16-rounded: " + notBf16);
                TrainStep step = new TrainStep(c, model, zero);
                for (TrainingReference.Step s : ref.steps()) {
                    TrainStep.Result r = step.run(List.of(new TrainStep.MicroBatch(batches[s.step()], null)),
                            recipe.schedule().lr(s.step()));
                    Bf16TrainingParityTest.assertWorkingCopyIs(model, Precision.BF16);
                    LOG.info("bf16 step {}: loss {} (ref {}), grad norm {} (ref {})", s.step(), r.loss(), s.loss(),
                            r.gradNorm(), s.gradNormBeforeClip());
                    assertEquals(s.lr(), r.lr(), 1e-12, "lr at step " + s.step());
                    assertEquals(s.loss(), r.loss(), 1e-3, "loss at step " + s.step());
                    assertEquals(s.gradNormBeforeClip(), r.gradNorm(), 1e-2, "grad norm before clip at step " + s.step());
                }
                float[] master = new float[numel];
                zero.adam().read(ShardedAdamW.State.MASTER, 0, master, 0, numel);
                float[] weights = new float[numel];
                model.readParams(weights); // the bf16 weights, widened exactly
                return MasterWeightCheck.of(GPT2, model.params(), initial, master, weights, recipe.sequenceLength());
            }
        }).get(0);
        LOG.info("bf16 {}", check);
        assertTrue(check.relToUpdate() <= 0.1, check.toString());
        assertTrue(check.gradlessMaxAbs() <= 1e-6, check.toString());
        assertEquals(0, check.roundingMismatches(), check.toString());
    }
}
