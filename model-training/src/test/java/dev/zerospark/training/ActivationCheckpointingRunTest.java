package dev.zerospark.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.train.DjlTrainableModel;
import dev.zerospark.train.TrainableModel;
import dev.zerospark.training.metrics.StepMetrics;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train.activation_checkpointing reaches the ranks' models and trains exactly like a run without it. */
class ActivationCheckpointingRunTest {
    private static final int STEPS = 3;

    @Test
    void theKeyReachesTheRanksModel(@TempDir Path dir) throws Exception {
        Configuration conf = new Configuration();
        assertFalse(open(ModelSource.of(config(dir.resolve("off"), false), 1024), conf));
        assertTrue(open(ModelSource.of(config(dir.resolve("on"), true), 1024), conf));
    }

    @Test
    void aRunWithCheckpointingHasTheSameLossesAndGradientNormsAsOneWithout(@TempDir Path dir) throws Exception {
        List<StepMetrics> off = train(config(dir.resolve("off"), false));
        List<StepMetrics> on = train(config(dir.resolve("on"), true));
        assertEquals(STEPS, off.size());
        assertEquals(STEPS, on.size());
        for (int s = 0; s < STEPS; s++) {
            assertEquals(off.get(s).loss(), on.get(s).loss(), 0.0, "loss of step " + s);
            assertEquals(off.get(s).gradNorm(), on.get(s).gradNorm(), 0.0, "gradient norm of step " + s);
        }
        assertTrue(off.get(0).loss() > 0 && Double.isFinite(off.get(STEPS - 1).loss()), off.toString());
    }

    private static boolean open(ModelSource source, Configuration conf) throws Exception {
        try (TrainableModel m = source.open(conf)) {
            return ((DjlTrainableModel) m).activationCheckpointing();
        }
    }

    private static TrainConfig config(Path dir, boolean checkpointing) {
        Map<String, Object> o = new HashMap<>();
        o.put("train.model", TestPaths.fixture("tiny-gpt2").toAbsolutePath().toString());
        o.put("train.world_size", 2);
        o.put("train.steps", STEPS);
        o.put("train.micro_batch_size", 2);
        o.put("train.seq_len", 16);
        o.put("train.eval_interval", 0);
        o.put("train.optimizer.lr", 1e-2);
        o.put("train.optimizer.warmup_steps", 0);
        o.put("train.checkpoint_dir", dir.resolve("ckpt").toUri().toString());
        o.put("train.run_dir", dir.resolve("run").toUri().toString());
        o.put("train.activation_checkpointing", checkpointing);
        return ConfigLoader.load(null, o).train();
    }

    /** Two ranks as threads over an in-process rendezvous; rank 0's per-step metrics. */
    private static List<StepMetrics> train(TrainConfig config) throws Exception {
        RunSpec spec = RunSpec.from(config, "{}", "run-a", -1);
        List<RankResult> ranks = SyntheticRanks.train(config, spec);
        return ranks.get(0).metrics();
    }
}
