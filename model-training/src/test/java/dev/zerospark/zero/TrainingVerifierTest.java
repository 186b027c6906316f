package dev.zerospark.zero;

import dev.zerospark.collective.CollectiveConfig;
import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.time.Duration;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The verify-training matrix: N in {1, 2, 4} x ZeRO stage in {0, 1, 2} on both shared fixtures. */
class TrainingVerifierTest {
    private static final double TOLERANCE = 1e-4;

    static Stream<Arguments> matrix() {
        return Stream.of("tiny-gpt2", "tiny-llama").flatMap(model -> Stream.of(1, 2, 4).flatMap(n ->
                Stream.of(ZeroStage.values()).map(stage -> Arguments.of(model, n, stage))));
    }

    @ParameterizedTest(name = "{0} N={1} {2}")
    @MethodSource("matrix")
    void replayMatchesThePyTorchRecording(String model, int worldSize, ZeroStage stage) throws IOException {
        TrainingVerifier.Options options = new TrainingVerifier.Options(TestPaths.fixture(model), worldSize,
                // N=2 runs two micro-batches of one sequence per rank, so gradient accumulation is covered too.
                stage, TOLERANCE, worldSize == 2 ? 2 : 1, CollectiveConfig.loopback(Duration.ofSeconds(60)));
        TrainingVerifier.Report report = TrainingVerifier.run(options);
        assertEquals(6, report.steps().size());
        for (TrainingVerifier.StepRow row : report.steps()) {
            assertTrue(row.error() <= TOLERANCE, model + " N=" + worldSize + " " + stage + " step " + row.step()
                    + ": loss " + row.loss() + " vs reference " + row.referenceLoss());
            assertEquals(row.referenceLr(), row.lr(), 1e-12, "learning rate of step " + row.step());
            assertEquals(row.referenceGradNorm(), row.gradNorm(), 1e-3 * row.referenceGradNorm(),
                    "grad norm of step " + row.step());
        }
        assertTrue(report.passed());
    }

    /** Gradients reduced in bf16 / fp16 on the wire (DeepSpeed communication_data_type): still close to the recording. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(value = dev.zerospark.collective.WireFormat.class, names = {"BF16", "FP16"})
    void sixteenBitGradientTrafficStaysCloseToTheRecording(dev.zerospark.collective.WireFormat wire) throws IOException {
        TrainingVerifier.Report report = TrainingVerifier.run(new TrainingVerifier.Options(TestPaths.fixture("tiny-llama"), 4,
                ZeroStage.STAGE_2, 1e-3, 1, CollectiveConfig.loopback(Duration.ofSeconds(60)).withReductionWire(wire)));
        assertTrue(report.passed(), wire + " max loss error " + report.maxError());
        assertTrue(report.maxError() > 0, "the rounding is real: some step differs from the exact replay");
    }
}
