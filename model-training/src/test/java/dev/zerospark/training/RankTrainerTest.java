package dev.zerospark.training;

import dev.zerospark.collective.LocalRanks;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.training.data.TrainingTable;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** How a rank's run settings reach its collective, and that loading a model does not count against its timeout. */
class RankTrainerTest {
    private static final int TIMEOUT_S = 2;

    private static TrainConfig config(Path dir, Map<String, Object> extra) {
        Map<String, Object> o = new HashMap<>();
        o.put("train.world_size", 2);
        o.put("train.steps", 1);
        o.put("train.micro_batch_size", 1);
        o.put("train.seq_len", 8);
        o.put("train.eval_interval", 0);
        o.put("train.checkpoint_dir", dir.resolve("ckpt").toUri().toString());
        o.put("train.run_dir", dir.resolve("run").toUri().toString());
        o.putAll(extra);
        return ConfigLoader.load(null, o).train();
    }

    @Test
    void theCollectiveTimeoutAndFrameMacKeysReachTheCollective(@TempDir Path dir) {
        RunSpec defaults = RunSpec.from(config(dir, Map.of()), "{}", "run-a", -1);
        assertEquals(Duration.ofSeconds(120), defaults.collectiveConfig("127.0.0.1").timeout());
        assertEquals(true, defaults.collectiveConfig("127.0.0.1").frameMac());
        RunSpec set = RunSpec.from(config(dir, Map.of("train.collective_timeout_s", 7, "train.frame_mac", false)),
                "{}", "run-a", -1);
        assertEquals(Duration.ofSeconds(7), set.collectiveConfig("127.0.0.1").timeout());
        assertFalse(set.collectiveConfig("127.0.0.1").frameMac());
        assertFalse(set.withFault(3, 1, RunSpec.Fault.LOST_TASK).resumingAt(2, 1).frameMac(), "restarts keep the setting");
    }

    /**
     * Rank 1's model takes three collective timeouts to download. The ranks join the ring only after loading, so
     * rank 0 waits for it in the rendezvous (no timeout) instead of inside a collective operation (timeout).
     */
    @Test
    void aModelDownloadLongerThanTheCollectiveTimeoutDoesNotFailTheRun(@TempDir Path dir) throws Exception {
        RunSpec spec = RunSpec.from(config(dir, Map.of("train.collective_timeout_s", TIMEOUT_S)), "{}", "run-a", -1);
        ModelSource source = new ModelSource("slow://" + TestPaths.fixture("tiny-gpt2").toAbsolutePath(), null,
                null, 1024, 1);
        Random rnd = new Random(3);
        int[][] rows = new int[8][9];
        for (int[] row : rows) for (int i = 0; i < row.length; i++) row[i] = rnd.nextInt(1024);
        TrainingTable table = new TrainingTable("synthetic", 0, rows, null, new int[0][], null);
        List<RankResult> ranks = LocalRanks.hosted(2, Duration.ofMinutes(2), (rank, rendezvous) -> {
            Configuration conf = new Configuration();
            conf.set("fs.slow.impl", SlowOpenFileSystem.class.getName());
            conf.setBoolean("fs.slow.impl.disable.cache", true);
            conf.setLong("test.slow.first_open_ms", rank == 1 ? 3000L * TIMEOUT_S : 0);
            return new RankTrainer(spec, table, source, conf).run(new ThreadHost(rank, rendezvous));
        });
        for (RankResult r : ranks) {
            assertEquals(1, r.lastCheckpointStep(), "both ranks finished the step");
        }
    }
}
