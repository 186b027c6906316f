package dev.zerospark.model.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.HfCheckpointWriter;
import dev.zerospark.model.ModelLoader;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.safetensors.DType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReferenceVerifierTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-llama"})
    void fixturesVerify(String fixture) throws Exception {
        Path dir = TestPaths.fixture(fixture);
        ReferenceVerifier.Result r = ReferenceVerifier.verify(dir, dir.resolve("reference_outputs.safetensors"), 1e-4);
        assertTrue(r.passed(), String.join("\n", r.summary()));
        assertTrue(r.maxAbsError() < 1e-4);
        assertEquals(Boolean.TRUE, r.greedyMatches());
        assertEquals(Boolean.TRUE, r.paddedGreedyMatches());
        org.slf4j.LoggerFactory.getLogger(getClass()).info("{}: {}", fixture, r.summary());
    }

    @Test
    void saveLoadVerifyRoundTripAndBf16Fails() throws Exception {
        Path src = TestPaths.fixture("tiny-gpt2");
        Path ref = src.resolve("reference_outputs.safetensors");
        try (NDManager root = NDManager.newBaseManager("PyTorch"); CausalLm model = ModelLoader.load(src, root)) {
            Path f32 = tmp.resolve("f32");
            HfCheckpointWriter.save(model, f32, new HfCheckpointWriter.Options(50_000, DType.F32, src));
            assertTrue(ReferenceVerifier.verify(f32, ref, 1e-4).passed());
            // bf16 rounding moves logits by far more than 1e-4: the verifier must notice
            Path bf16 = tmp.resolve("bf16");
            HfCheckpointWriter.save(model, bf16, new HfCheckpointWriter.Options(1L << 30, DType.BF16, src));
            ReferenceVerifier.Result r = ReferenceVerifier.verify(bf16, ref, 1e-4);
            assertFalse(r.logitsPass(), String.join("\n", r.summary()));
            assertFalse(r.passed());
        }
    }
}
