package dev.zerospark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.Test;

/** {@code zerospark verify-training --precision}: bf16 replays the bf16 reference run; bad values are named. */
class VerifyTrainingCommandTest {
    @Test
    void bf16ReplaysTheBf16ReferenceOnTwoRanksAtStageTwo() {
        CliRun r = CliRun.of("verify-training", "--model", TestPaths.fixture("tiny-gpt2").toString(),
                "--precision", "bf16", "--world-size", "2", "--zero-stage", "2");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("PASS: bf16, world size 2, ZeRO stage 2"), r.toString());
        assertTrue(r.out().contains("0 bf16 weights not RNE(master)"), r.toString());
        assertTrue(r.out().contains("(tolerance 0.00100)"), "bf16's default loss tolerance is 1e-3: " + r);
    }

    @Test
    void precisionsWithoutAReferenceAreRefusedByName() {
        CliRun fp16 = CliRun.of("verify-training", "--model", TestPaths.fixture("tiny-gpt2").toString(),
                "--precision", "fp16");
        assertEquals(2, fp16.code(), fp16.toString());
        assertTrue(fp16.err().contains("--precision fp16: there is no fp16 reference run"), fp16.toString());
        CliRun fp8 = CliRun.of("verify-training", "--model", TestPaths.fixture("tiny-gpt2").toString(),
                "--precision", "fp8");
        assertEquals(2, fp8.code(), fp8.toString());
        assertTrue(fp8.err().contains("--precision: precision 'fp8' is not one of fp32, bf16, fp16"), fp8.toString());
        CliRun noRef = CliRun.of("verify-training", "--model", TestPaths.fixture("tiny-llama").toString(),
                "--precision", "bf16");
        assertEquals(2, noRef.code(), noRef.toString());
        assertTrue(noRef.err().contains("has no training_reference_bf16.json"), noRef.toString());
    }
}
