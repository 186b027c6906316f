package dev.zerospark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.model.HfConfigs;
import dev.zerospark.model.ModelConfig;
import org.junit.jupiter.api.Test;

class ModelFlopsTest {
    @Test
    void gpt2StepFlopsCountEveryMatmulOnceAndTheAttentionScores() {
        ObjectNode j = new ObjectMapper().createObjectNode();
        j.put("model_type", "gpt2").put("vocab_size", 100).put("n_embd", 8).put("n_layer", 2).put("n_head", 2)
                .put("n_positions", 32).put("tie_word_embeddings", true);
        ModelConfig c = HfConfigs.parse(j);
        // Per block: qkv 8x24, proj 8x8, fc 8x32, proj 32x8 = 768 weights; 2 blocks + the tied LM head 100x8.
        long matmul = 2 * 768 + 800;
        long tokens = 3 * 10;
        double expected = 6.0 * matmul * tokens + 12.0 * 2 * 8 * 10 * tokens;
        assertEquals(expected, ModelFlops.perStep(c, 3, 10), 0.0);
    }

    @Test
    void mfuIsAchievedOverPeakAndRefusesZeroTimes() {
        assertEquals(0.5, ModelFlops.mfu(1e9, 2.0, 1e9), 1e-15);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFlops.mfu(1, 0, 1));
        assertTrue(e.getMessage().contains("0.0 s"), e.getMessage());
    }

    @Test
    void theMatmulProbeMeasuresAPositiveRateAndCachesItPerDevice() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            assertTrue(MatmulRate.gflops(m) > 0.1);
        }
        double first = MatmulRate.peakFlops(ai.djl.Device.cpu());
        assertTrue(first > 1e8, "FLOP/s " + first);
        assertEquals(first, MatmulRate.peakFlops(ai.djl.Device.cpu()), 0.0, "measured once per device");
    }
}
