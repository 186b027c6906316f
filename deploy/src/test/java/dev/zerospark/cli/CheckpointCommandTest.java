package dev.zerospark.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.zerospark.checkpoint.CheckpointStore;
import dev.zerospark.checkpoint.Layout;
import dev.zerospark.checkpoint.Manifest;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.training.data.DataCursor;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
        Layout layout = new Layout(1, 1, 1, 1, 1, List.of(new Layout.Param("w", 0, 1, true, new long[] {1})));
        store.commit(new Manifest(10, "run-1", 1, 2, files, layout, JsonNodeFactory.instance.objectNode(),
                new DataCursor("t", 0, 0, 0, 0, null, null), null), new CheckpointStore.Retention(0, -1));
        return root;
    }

    @Test
    void listShowsLatestAndSurvivesBadStepDirectories(@TempDir Path dir) throws Exception {
        String root = checkpointWithOneStep(dir);
        Files.copy(dir.resolve("ckpt/step-10/manifest.json"),
                Files.createDirectories(dir.resolve("ckpt/step-99999999999999999999")).resolve("manifest.json"));
        var n = JsonNodeFactory.instance;
        byte[] empty = ConfigLoader.jsonMapper().writeValueAsBytes(new Manifest(20, "run-1", 1, 2, Map.of(), null,
                n.objectNode(), null, null));
        Files.write(Files.createDirectories(dir.resolve("ckpt/step-20")).resolve("manifest.json"), empty);

        CliRun r = CliRun.of("checkpoint", "list", root);
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("step-10") && r.out().contains("run-1"), r.out());
        assertTrue(r.out().contains("step-20") && r.out().contains("lists no files"), r.out());
        assertTrue(r.out().contains("latest: step-10"), r.out());
    }

    @Test
    void listAndInspectTakeTheCheckpointAsExportDoes(@TempDir Path dir) throws Exception {
        String root = checkpointWithOneStep(dir);
        for (String cmd : new String[] {"list", "inspect"}) {
            String shown = cmd.equals("list") ? "latest: step-10" : "checksums: ok";
            for (String[] given : new String[][] {{root}, {"--checkpoint", root}, {root, "--checkpoint", root}}) {
                String[] args = new String[given.length + 2];
                args[0] = "checkpoint";
                args[1] = cmd;
                System.arraycopy(given, 0, args, 2, given.length);
                CliRun r = CliRun.of(args);
                assertEquals(0, r.code(), String.join(" ", args) + "\n" + r);
                assertTrue(r.out().contains(shown), r.out());
            }
            CliRun two = CliRun.of("checkpoint", cmd, root, "--checkpoint", root + "-other");
            assertEquals(2, two.code(), two.toString());
            assertTrue(two.err().contains("two checkpoints given") && two.err().contains(root + "-other"), two.err());
            CliRun none = CliRun.of("checkpoint", cmd);
            assertEquals(2, none.code(), none.toString());
            assertTrue(none.err().contains("--checkpoint URI"), none.err());
        }
    }

    /** Resuming checks only sizes (ranks verify what they read), so inspect must hash every file itself. */
    @Test
    void inspectReadsEveryFileAgainstItsChecksums(@TempDir Path dir) throws Exception {
        String root = checkpointWithOneStep(dir);
        Files.writeString(dir.resolve("ckpt/step-10/optim-rank0.safetensors"), "shark"); // same size, other bytes
        // Hadoop's local filesystem keeps its own CRC beside the file; without it (as on S3) only our checksum sees it.
        Files.delete(dir.resolve("ckpt/step-10/.optim-rank0.safetensors.crc"));
        CliRun r = CliRun.of("checkpoint", "inspect", root);
        assertTrue(r.code() != 0, r.toString());
        assertTrue(r.err().contains("step-10/optim-rank0.safetensors") && r.err().contains("checksum mismatch"), r.err());
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
