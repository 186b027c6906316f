package dev.zerospark.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.zerospark.checkpoint.CheckpointStore;
import dev.zerospark.checkpoint.Manifest;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.testing.TestPaths;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code checkpoint list} and {@code train} on a checkpoint directory that already holds steps. */
class CheckpointCommandTest {
    private static String checkpointWithOneStep(Path dir) throws Exception {
        String root = dir.toUri() + "ckpt";
        CheckpointStore store = new CheckpointStore(root, new Configuration());
        byte[] shard = "shard".getBytes(StandardCharsets.UTF_8);
        Map<String, Manifest.FileEntry> files = Map.of("optim-rank0.safetensors", store.write(10, "optim-rank0.safetensors", out -> out.write(shard)));
        var n = JsonNodeFactory.instance;
        store.commit(new Manifest(10, "run-1", 1, 2, files, n.objectNode(), n.objectNode(),
                n.objectNode().put("table", "t").put("version", 0), n.objectNode()), new CheckpointStore.Retention(0, -1));
        return root;
    }

    @Test
    void listShowsLatestAndSurvivesBadStepDirectories(@TempDir Path dir) throws Exception {
        String root = checkpointWithOneStep(dir);
        Files.copy(dir.resolve("ckpt/step-10/manifest.json"),
                Files.createDirectories(dir.resolve("ckpt/step-99999999999999999999")).resolve("manifest.json"));
        var n = JsonNodeFactory.instance;
        byte[] empty = ConfigLoader.jsonMapper().writeValueAsBytes(new Manifest(20, "run-1", 1, 2, Map.of(), n.objectNode(),
                n.objectNode(), n.objectNode(), n.objectNode()));
        Files.write(Files.createDirectories(dir.resolve("ckpt/step-20")).resolve("manifest.json"), empty);

        CliRun r = CliRun.of("checkpoint", "list", root);
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("step-10") && r.out().contains("run-1"), r.out());
        assertTrue(r.out().contains("step-20") && r.out().contains("lists no files"), r.out());
        assertTrue(r.out().contains("latest: step-10"), r.out());
    }

    @Test
    void trainWithoutResumeOnADirectoryWithCheckpointsExitsTwoNamingItAndTheNewestStep(@TempDir Path dir) throws Exception {
        String root = checkpointWithOneStep(dir);
        CliRun r = CliRun.of("train", "--model", TestPaths.fixture("tiny-gpt2").toString(),
                "--data", dir.resolve("no-table").toUri().toString(), "--checkpoint-dir", root,
                "--run-dir", dir.resolve("run").toUri().toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains(root) && r.err().contains("step-10") && r.err().contains("--overwrite"), r.err());
        assertTrue(Files.exists(dir.resolve("ckpt/step-10/manifest.json")), "nothing was deleted");

        CliRun both = CliRun.of("train", "--model", TestPaths.fixture("tiny-gpt2").toString(), "--resume", "--overwrite",
                "--data", dir.resolve("no-table").toUri().toString(), "--checkpoint-dir", root,
                "--run-dir", dir.resolve("run").toUri().toString());
        assertEquals(2, both.code(), both.toString());
        assertTrue(both.err().contains("--overwrite"), both.err());
    }
}
