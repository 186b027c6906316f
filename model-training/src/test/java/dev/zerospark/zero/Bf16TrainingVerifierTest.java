package dev.zerospark.zero;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.collective.CollectiveConfig;
import dev.zerospark.model.Precision;
import dev.zerospark.testing.TestPaths;
import java.io.IOException;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * verify-training --precision bf16: the bf16 reference run (training_reference_bf16.json) replayed on N ranks x ZeRO
 * stage S through ZeroOptimizer, with issue 13's checks (loss 1e-3, grad norm 1e-2, master weights within 0.1 of the
 * reference's update, gradient-free position rows 1e-6, bf16 weights = RNE(master) bit for bit).
 */
class Bf16TrainingVerifierTest {
    static Stream<Arguments> matrix() {
        return Stream.of(1, 2, 4).flatMap(n -> Stream.of(ZeroStage.values()).map(stage -> Arguments.of(n, stage)));
    }

    @ParameterizedTest(name = "N={0} {1}")
    @MethodSource("matrix")
    void replaysTheBf16Reference(int worldSize, ZeroStage stage) throws IOException {
        TrainingVerifier.Report report = TrainingVerifier.run(new TrainingVerifier.Options(TestPaths.fixture("tiny-gpt2"),
                worldSize, stage, 1e-3, worldSize == 2 ? 2 : 1, CollectiveConfig.loopback(Duration.ofSeconds(60)),
                Precision.BF16));
        assertEquals(6, report.steps().size());
        for (TrainingVerifier.StepRow row : report.steps()) {
            assertTrue(row.error() <= 1e-3, "step " + row.step() + ": loss " + row.loss() + " vs " + row.referenceLoss());
            assertEquals(row.referenceGradNorm(), row.gradNorm(), 1e-2, "grad norm of step " + row.step());
            assertEquals(row.referenceLr(), row.lr(), 1e-12, "lr of step " + row.step());
        }
        assertNotNull(report.weights(), "bf16 checks the final weights");
        assertTrue(report.weights().relToUpdate() <= 0.1, report.weights().toString());
        assertTrue(report.weights().gradlessMaxAbs() <= 1e-6, report.weights().toString());
        assertEquals(0, report.weights().roundingMismatches(), report.weights().toString());
        assertTrue(report.passed(), report.table());
        assertTrue(report.table().contains("bf16, world size " + worldSize), report.table());
    }

    @Test
    void fp16HasNoReferenceToReplay() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TrainingVerifier.Options(
                TestPaths.fixture("tiny-gpt2"), 1, ZeroStage.STAGE_0, 1e-3, 1,
                CollectiveConfig.loopback(Duration.ofSeconds(60)), Precision.FP16));
        assertTrue(e.getMessage().startsWith("--precision fp16"), e.getMessage());
    }
}
