package dev.zerospark.training;

import dev.zerospark.checkpoint.CheckpointStore;
import dev.zerospark.config.ConfigException;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.training.data.LmBlocksFixture;
import dev.zerospark.training.data.internal.StreamedBatches;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checkpoint's data cursor records the in-rank shuffle window; a build that shuffles in other windows would read
 * the recorded position in another order, so its resume is refused, naming both windows.
 */
class ShuffleWindowResumeTest {

    private static TrainConfig config(String table, Path dir, int steps, boolean resume) {
        Map<String, Object> o = new HashMap<>();
        o.put("train.model", TestPaths.fixture("tiny-gpt2").toString());
        o.put("train.data", table);
        o.put("train.world_size", 1);
        o.put("train.steps", steps);
        o.put("train.micro_batch_size", 2);
        o.put("train.grad_accum", 1);
        o.put("train.eval_interval", 0);
        o.put("train.checkpoint_interval", 2);
        o.put("train.checkpoint_dir", dir.resolve("ckpt").toUri().toString());
        o.put("train.run_dir", dir.resolve("run").toUri().toString());
        o.put("train.resume", resume);
        o.put("train.max_restarts", 0);
        return ConfigLoader.load(null, o).train();
    }

    @Test
    void aResumeUnderAnotherShuffleWindowIsRefusedNamingBoth(@TempDir Path dir) throws Exception {
        SparkSession spark = LocalSpark.session();
        String table = LmBlocksFixture.table(spark, "'delta.enableDeletionVectors' = 'true'");
        TrainConfig first = config(table, dir, 2, false);
        TrainJob.run(spark, first);
        CheckpointStore store = new CheckpointStore(first.checkpointDir(), spark.sparkContext().hadoopConfiguration());
        assertEquals(StreamedBatches.SHUFFLE_WINDOW, store.manifest(2).data().shuffleWindow());

        // The step as a build shuffling in windows of 4096 would have saved it (and no stale .crc beside it).
        Path manifest = dir.resolve("ckpt/step-2/" + CheckpointStore.MANIFEST);
        String json = Files.readString(manifest);
        String other = json.replaceFirst("\"shuffle_window\"\\s*:\\s*" + StreamedBatches.SHUFFLE_WINDOW, "\"shuffle_window\":4096");
        assertNotEquals(json, other, json);
        Files.writeString(manifest, other);
        Files.deleteIfExists(dir.resolve("ckpt/step-2/." + CheckpointStore.MANIFEST + ".crc"));
        assertEquals(4096, store.manifest(2).data().shuffleWindow());

        ConfigException refused = assertThrows(ConfigException.class, () -> TrainJob.run(spark, config(table, dir, 4, true)));
        String message = refused.getMessage();
        assertTrue(message.contains("shuffle window of 4096") && message.contains("windows of " + StreamedBatches.SHUFFLE_WINDOW)
                && message.contains("step-2"), message);
    }
}
