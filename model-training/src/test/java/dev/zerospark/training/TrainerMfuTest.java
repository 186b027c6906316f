package dev.zerospark.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.train.MatmulRate;
import dev.zerospark.train.ModelFlops;
import dev.zerospark.training.metrics.StepMetrics;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer's metrics.jsonl MFU is bench train-step's: {@link ModelFlops} over the {@link MatmulRate} probe. */
class TrainerMfuTest {
    @Test
    void theTrainersMfuIsTheBenchFormulaOverTheMatmulProbe(@TempDir Path dir) throws Exception {
        Map<String, Object> o = new HashMap<>();
        o.put("train.model", TestPaths.fixture("tiny-gpt2").toAbsolutePath().toString());
        o.put("train.world_size", 2);
        o.put("train.steps", 2);
        o.put("train.micro_batch_size", 2);
        o.put("train.seq_len", 16);
        o.put("train.eval_interval", 0);
        o.put("train.checkpoint_dir", dir.resolve("ckpt").toUri().toString());
        o.put("train.run_dir", dir.resolve("run").toUri().toString());
        TrainConfig config = ConfigLoader.load(null, o).train();
        RunSpec spec = RunSpec.from(config, "{}", "run-a", -1);
        List<RankResult> ranks = SyntheticRanks.train(config, spec);
        List<StepMetrics> metrics = ranks.get(0).metrics();
        assertEquals(2, metrics.size());
        // Two ranks, each 2 rows of 17 tokens (seq_len + 1: the model reads the row and predicts its last 16), over
        // every rank's (cached) probe rate.
        double flops = ModelFlops.perStep(ModelSource.of(config, 1024).modelConfig(new Configuration()), 2 * 2, 17);
        double peak = MatmulRate.peakFlops(Device.cpu()) * 2;
        for (StepMetrics m : metrics) {
            assertTrue(m.mfu() > 0 && m.mfu() < 1, m.toString());
            assertEquals(ModelFlops.mfu(flops, m.stepSeconds(), peak), m.mfu(), 1e-12 * m.mfu(), m.toString());
        }
    }
}
