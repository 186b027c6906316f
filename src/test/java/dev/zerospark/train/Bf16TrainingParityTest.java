package dev.zerospark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import dev.zerospark.model.Parameters;
import dev.zerospark.model.Precision;
import dev.zerospark.safetensors.HalfFloats;
import dev.zerospark.testing.TestPaths;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/**
 * The checks of the bf16 parity replay (model-training's Bf16TrainStepParityTest runs it): the weight check and the
 * structural dtype check each catch what they are for.
 */
public class Bf16TrainingParityTest {
    private static final Path GPT2 = TestPaths.fixture("tiny-gpt2");

    @Test
    void theWeightCheckCatchesWeightsThatAreNotTheRoundedMaster() throws Exception {
        try (DjlTrainableModel model = (DjlTrainableModel) TrainableModels.load(GPT2)) {
            float[] initial = new float[(int) model.numel()];
            model.readParams(initial);
            float[] rounded = new float[initial.length];
            for (int i = 0; i < initial.length; i++) rounded[i] = HalfFloats.bf16ToFloat(HalfFloats.toBf16(initial[i]));
            float[] master = initial.clone();
            master[7] += 1e-3f; // its rounding is no longer the model's weight
            MasterWeightCheck check = MasterWeightCheck.of(GPT2, model.params(), initial, master, rounded, 32);
            assertEquals(1, check.roundingMismatches(), check.toString());
            assertTrue(check.firstMismatch().startsWith("transformer.wte.weight[7] is "), check.firstMismatch());
            assertEquals(1.0, check.relToUpdate(), 0.01, "no update at all is the whole update away");
            assertTrue(!check.passed());
        }
    }

    /** The structural check itself catches a run that stays in fp32. */
    @Test
    void theDtypeCheckRejectsAnFp32Run() throws Exception {
        int[][] batch = TrainingReference.readBatches(GPT2)[0];
        try (DjlTrainableModel model = (DjlTrainableModel) TrainableModels.load(GPT2)) {
            model.forwardBackward(batch, null, 1f, new float[(int) model.numel()]);
            assertThrows(AssertionFailedError.class, () -> assertWorkingCopyIs(model, Precision.BF16));
        }
    }

    /** Every weight tensor of the live model, and its gradient, is {@code p} (the tied LM head is one of them). */
    public static void assertWorkingCopyIs(DjlTrainableModel model, Precision p) {
        Parameters params = model.model().parameters();
        assertEquals(model.params().size(), params.arrays().size(), "one tensor per parameter, the tie included");
        for (Map.Entry<String, NDArray> e : params.arrays().entrySet()) {
            assertEquals(p, Precision.of(e.getValue()), "dtype of weight " + e.getKey());
            assertEquals(p, Precision.of(e.getValue().getGradient()), "dtype of the gradient of " + e.getKey());
        }
    }
}
