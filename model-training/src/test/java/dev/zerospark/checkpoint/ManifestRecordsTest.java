package dev.zerospark.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.training.data.DataCursor;
import dev.zerospark.zero.DynamicLossScaler;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The manifest's records are typed and written by Jackson, in the JSON shape manifests had before: a manifest
 * written by the code before the typed records (a 2-rank GPT-2 tiny run, kept as a test resource) still reads, and
 * writes back unchanged; a bad record is a corrupt checkpoint naming the step and what is wrong.
 */
class ManifestRecordsTest {
    private static final String OLD = "/checkpoint/manifest-before-typed-records.json";

    private static JsonNode oldJson() throws Exception {
        try (InputStream in = ManifestRecordsTest.class.getResourceAsStream(OLD)) {
            return ConfigLoader.jsonMapper().readTree(in);
        }
    }

    private static CheckpointStore store(Path dir) {
        return new CheckpointStore(dir.toUri() + "ckpt", new Configuration());
    }

    private static void writeManifest(CheckpointStore store, long step, JsonNode json) throws Exception {
        byte[] bytes = ConfigLoader.jsonMapper().writeValueAsBytes(json);
        store.write(step, CheckpointStore.MANIFEST, out -> out.write(bytes));
    }

    @Test
    void aManifestWrittenBeforeTheTypedRecordsReadsTypedAndWritesBackTheSameJson(@TempDir Path dir) throws Exception {
        CheckpointStore store = store(dir);
        writeManifest(store, 2, oldJson());
        Manifest m = store.manifest(2);
        assertEquals(2, m.worldSize());
        assertEquals(28, m.layout().params().size());
        assertEquals(120576, m.layout().numel());
        assertEquals(60288, m.layout().shardSize());
        assertEquals(4, m.layout().alignment());
        Layout.Param first = m.layout().params().get(0);
        assertEquals(0, first.offset());
        assertEquals(first.numel(), java.util.Arrays.stream(first.shape()).reduce(1, (a, b) -> a * b));
        assertEquals(new DataCursor("file:/data/lm_blocks", 3, 42, 0, 4, 8L,
                new DataCursor.Tokenizer("ab".repeat(32), "file:/data/tokenizer")), m.data());
        assertEquals(new Manifest.Rng(42, "SplittableRandom(seed * 1000003 + epoch)"), m.rng());
        assertEquals(5, m.files().get("optim-rank0.safetensors").chunks().size());
        assertEquals(2, m.config().get("steps").asInt());
        assertEquals(2, m.appliedSteps(), "no optimizer_steps recorded: every step applied");
        assertEquals(null, m.lossScaler(), "no loss_scaler recorded: no loss was scaled");
        // Written back by Jackson from the records: the same document, key for key.
        JsonNode back = ConfigLoader.jsonMapper().readTree(ConfigLoader.jsonMapper().writeValueAsString(m));
        assertEquals(oldJson(), back);
    }

    @Test
    void checkpointCommitBuildsTheManifestFromTheRanksEntriesAndRecords(@TempDir Path dir) {
        CheckpointStore store = store(dir);
        Manifest.FileEntry r0 = store.write(5, "optim-rank0.safetensors", out -> out.write(new byte[] {1, 2}));
        Manifest.FileEntry r1 = store.write(5, "optim-rank1.safetensors", out -> out.write(new byte[] {3}));
        Layout layout = new Layout(2, 4, 4, 2, 1, List.of(new Layout.Param("w", 0, 4, true, new long[] {4})));
        DataCursor data = new DataCursor("s3a://b/t", 7, 9, 1, 12, 100L, null);
        Manifest built = CheckpointCommit.manifest(5, new CheckpointCommit.Run("run-x", 2, 2, "{\"steps\":5}"),
                List.of(CheckpointCommit.encode(Map.of("optim-rank0.safetensors", r0)),
                        CheckpointCommit.encode(Map.of("optim-rank1.safetensors", r1))),
                layout, data, new Manifest.Rng(9, "order"),
                new CheckpointCommit.Optimizer(3, new DynamicLossScaler.State(4096, 1, 5, 1)));
        store.commit(built, new CheckpointStore.Retention(0, -1));
        Manifest m = store.manifest(5);
        assertEquals(3, m.appliedSteps(), "fp16 skipped 2 of the 5 steps");
        assertEquals(new DynamicLossScaler.State(4096, 1, 5, 1), m.lossScaler());
        assertEquals(Map.of("optim-rank0.safetensors", r0, "optim-rank1.safetensors", r1), m.files());
        assertEquals(data, m.data());
        assertEquals(12, m.data().position().sampleInEpoch());
        assertEquals("run-x", m.runId());
        assertEquals(5, m.config().get("steps").asInt());
        store.checkIntact(m);
    }

    private static void assertCorrupt(Path dir, Consumer<ObjectNode> damage, String... inMessage) throws Exception {
        CheckpointStore store = store(dir);
        ObjectNode json = (ObjectNode) oldJson();
        damage.accept(json);
        writeManifest(store, 2, json);
        CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class, () -> store.manifest(2));
        assertTrue(e.getMessage().contains(store.stepUri(2)), e.getMessage());
        for (String s : inMessage) assertTrue(e.getMessage().contains(s), s + " not in: " + e.getMessage());
    }

    @Test
    void aBadRecordIsACorruptCheckpointNamingTheStepAndTheRecord(@TempDir Path dir) throws Exception {
        assertCorrupt(dir, j -> ((ObjectNode) j.get("data")).remove("position"), "position");
        assertCorrupt(dir, j -> j.remove("data"), "no data cursor");
        assertCorrupt(dir, j -> ((ObjectNode) j.get("data")).remove("table"), "without a table");
        assertCorrupt(dir, j -> j.remove("layout"), "no layout");
        assertCorrupt(dir, j -> ((ObjectNode) j.get("layout").get("params").get(1)).put("offset", 3), "overlaps");
        String first = oldJson().get("layout").get("params").get(0).get("name").asText();
        assertCorrupt(dir, j -> ((ObjectNode) j.get("layout").get("params").get(0)).put("numel", 7), "'" + first + "'", "do not fit");
        assertCorrupt(dir, j -> ((ObjectNode) j.get("data").get("tokenizer")).put("sha256", "xyz"), "tokenizer");
        assertCorrupt(dir, j -> ((ObjectNode) j.get("layout")).put("params", "none"), "does not parse", "params");
        assertCorrupt(dir, j -> j.put("optimizer_steps", 3), "optimizer_steps 3");
        assertCorrupt(dir, j -> j.putObject("loss_scaler").put("scale", 0.0).put("hysteresis_left", 1)
                .put("iteration", 2).put("last_overflow_iteration", -1), "loss_scaler", "scale");
    }
}
