package dev.zerospark.training;

import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.spark.TaskHadoopConf;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The Hadoop keys the training tasks get: those of the table, model, checkpoint and run locations' filesystems. */
class TrainJobTaskConfTest {
    private static TrainConfig config(String model, String data, String checkpoints, String run) {
        Map<String, Object> o = new HashMap<>();
        o.put("train.model", model);
        o.put("train.data", data);
        o.put("train.checkpoint_dir", checkpoints);
        o.put("train.run_dir", run);
        return ConfigLoader.load(null, o).train();
    }

    private static Configuration driver() {
        Configuration c = new Configuration(false);
        c.set("fs.s3a.secret.key", "S3SECRETVALUE");
        c.set("fs.s3a.endpoint", "http://127.0.0.1:9000");
        c.set("fs.abfss.impl", "org.example.Abfs");
        c.set("fs.azure.account.key.acct.dfs.core.windows.net", "AZURESECRETVALUE");
        return c;
    }

    @Test
    void localRunsShipNoS3Credentials() {
        TrainConfig local = config("/models/gpt2", "/data/lm_blocks", "file:/tmp/ckpt", "/tmp/run");
        assertEquals(List.of("/data/lm_blocks", "/models/gpt2", "file:/tmp/ckpt", "/tmp/run"), TrainJob.taskLocations(local),
                "the ranks read their rows from the table's files");
        TaskHadoopConf shipped = TaskHadoopConf.forLocations(driver(), TrainJob.taskLocations(local));
        assertNull(shipped.entries().get("fs.s3a.secret.key"), shipped.toString());
        assertFalse(shipped.entries().containsKey("fs.azure.account.key.acct.dfs.core.windows.net"));
    }

    @Test
    void aTableOnS3aShipsTheS3aKeys() {
        TrainConfig s3 = config("/models/gpt2", "s3a://data/lm_blocks", "file:/tmp/ckpt", "/tmp/run");
        TaskHadoopConf shipped = TaskHadoopConf.forLocations(driver(), TrainJob.taskLocations(s3));
        assertEquals("S3SECRETVALUE", shipped.entries().get("fs.s3a.secret.key"), "ranks read the table's files themselves");
        assertFalse(shipped.entries().containsKey("fs.azure.account.key.acct.dfs.core.windows.net"));
    }

    @Test
    void checkpointsOnS3aShipTheS3aKeysOnly() {
        TrainConfig s3 = config(null, "/tmp/t", "s3a://bucket/ckpt", "s3a://bucket/run");
        TaskHadoopConf shipped = TaskHadoopConf.forLocations(driver(), TrainJob.taskLocations(s3));
        assertEquals("S3SECRETVALUE", shipped.entries().get("fs.s3a.secret.key"));
        assertEquals("http://127.0.0.1:9000", shipped.entries().get("fs.s3a.endpoint"));
        assertFalse(shipped.entries().containsKey("fs.azure.account.key.acct.dfs.core.windows.net"));
        assertFalse(shipped.entries().containsKey("fs.abfss.impl"));
    }
}
