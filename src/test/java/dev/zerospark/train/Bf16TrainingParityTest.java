package dev.zerospark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import dev.zerospark.model.Parameters;
import dev.zerospark.model.Precision;
import dev.zerospark.safetensors.HalfFloats;
import dev.zerospark.safetensors.SafetensorsFile;
import dev.zerospark.testing.TestPaths;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * bf16 mixed precision against {@code training_reference_bf16.json}, an independent PyTorch bf16 run of the fixture's
 * recipe, with the checks of issue 13: kernels that are equally valid already differ by ~2e-4 in loss, so the
 * tolerances bound a different engine, and the structural checks prove the run is bf16, not fp32 passing by luck.
 */
class Bf16TrainingParityTest {
    private static final Logger LOG = LoggerFactory.getLogger(Bf16TrainingParityTest.class);
    private static final Path GPT2 = TestPaths.fixture("tiny-gpt2");
    /** wpe rows from here on never get a gradient (sequence_length - 1: the last position predicts nothing). */
    private static final int FIRST_GRADLESS_POSITION = 31;

    @Test
    void replaysTheBf16ReferenceRun() throws Exception {
        TrainingReference ref = TrainingReference.read(GPT2.resolve(TrainingReference.BF16_FILE));
        int[][][] batches = TrainingReference.readBatches(GPT2);
        try (DjlTrainableModel model = (DjlTrainableModel) TrainableModels.load(GPT2, Precision.BF16)) {
            float[] initial = new float[(int) model.numel()];
            model.readParams(initial);
            SingleProcessTrainer trainer = new SingleProcessTrainer(model, ref.recipe().adamW(),
                    ref.recipe().schedule(), ref.recipe().maxGradNorm());
            for (TrainingReference.Step s : ref.steps()) {
                SingleProcessTrainer.StepResult r = trainer.step(batches[s.step()]);
                assertWorkingCopyIs(model, Precision.BF16);
                LOG.info("bf16 step {}: loss {} (ref {}), grad norm {} (ref {})", s.step(), r.loss(), s.loss(),
                        r.gradNorm(), s.gradNormBeforeClip());
                assertEquals(s.lr(), r.lr(), 1e-12, "lr at step " + s.step());
                assertEquals(s.loss(), r.loss(), 1e-3, "loss at step " + s.step());
                assertEquals(s.gradNormBeforeClip(), r.gradNorm(), 1e-2, "grad norm before clip at step " + s.step());
            }
            float[] master = trainer.params();
            double diff = 0;
            double update = 0;
            double gradless = 0;
            try (SafetensorsFile refMaster = SafetensorsFile.open(GPT2.resolve(TrainingReference.BF16_MASTER_FILE))) {
                for (ParamSpec p : model.params()) {
                    float[] expected = refMaster.readFloats(p.name());
                    int off = (int) p.offset();
                    for (int i = 0; i < expected.length; i++) {
                        diff += sq(master[off + i] - expected[i]);
                        update += sq(expected[i] - initial[off + i]);
                    }
                    if (p.name().equals("transformer.wpe.weight")) {
                        int width = (int) p.shape()[1];
                        for (int i = FIRST_GRADLESS_POSITION * width; i < expected.length; i++) {
                            gradless = Math.max(gradless, Math.abs(master[off + i] - expected[i]));
                        }
                    }
                }
            }
            double rel = Math.sqrt(diff) / Math.sqrt(update);
            LOG.info("bf16 master weights: ||ours - ref|| / ||ref - initial|| = {}, gradless wpe rows max abs {}",
                    rel, gradless);
            assertTrue(rel <= 0.1, "master weights differ from the reference's by " + rel + " of its update");
            assertTrue(gradless <= 1e-6, "wpe rows >= 31 differ by " + gradless);
            assertModelIsRoundedMaster(model, master);
        }
    }

    /** The structural check itself catches a run that stays in fp32. */
    @Test
    void theDtypeCheckRejectsAnFp32Run() throws Exception {
        int[][] batch = TrainingReference.readBatches(GPT2)[0];
        try (DjlTrainableModel model = (DjlTrainableModel) TrainableModels.load(GPT2, Precision.FP32)) {
            model.forwardBackward(batch, null, 1f, new float[(int) model.numel()]);
            assertThrows(AssertionFailedError.class, () -> assertWorkingCopyIs(model, Precision.BF16));
        }
    }

    /** Every weight tensor of the live model, and its gradient, is {@code p} (the tied LM head is one of them). */
    static void assertWorkingCopyIs(DjlTrainableModel model, Precision p) {
        Parameters params = model.model().parameters();
        assertEquals(model.params().size(), params.arrays().size(), "one tensor per parameter, the tie included");
        for (Map.Entry<String, NDArray> e : params.arrays().entrySet()) {
            assertEquals(p, Precision.of(e.getValue()), "dtype of weight " + e.getKey());
            assertEquals(p, Precision.of(e.getValue().getGradient()), "dtype of the gradient of " + e.getKey());
        }
    }

    /** The model's bf16 weights are the round-to-nearest-even of {@code master}, bit for bit. */
    static void assertModelIsRoundedMaster(DjlTrainableModel model, float[] master) {
        float[] weights = new float[master.length];
        model.readParams(weights); // bf16 widened exactly
        for (ParamSpec p : model.params()) {
            for (int i = (int) p.offset(); i < p.offset() + p.numel(); i++) {
                int expected = Float.floatToRawIntBits(HalfFloats.bf16ToFloat(HalfFloats.toBf16(master[i])));
                if (Float.floatToRawIntBits(weights[i]) != expected) {
                    throw new AssertionFailedError(p.name() + "[" + (i - p.offset()) + "] is " + weights[i]
                            + ", the bf16 rounding of its master weight " + master[i] + " is "
                            + Float.intBitsToFloat(expected));
                }
            }
        }
    }

    private static double sq(double x) {
        return x * x;
    }
}
