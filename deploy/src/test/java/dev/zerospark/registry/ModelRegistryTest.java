package dev.zerospark.registry;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.testing.LocalSpark;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Registering, promoting and rolling back, with the champion pointer and history, on local disk and S3. */
class ModelRegistryTest {
    @TempDir java.nio.file.Path tmp;

    private String root(String fs) {
        if (fs.equals("file")) return tmp.resolve("registry").toUri().toString();
        return LocalSpark.s3().createBucket("registry-" + UUID.randomUUID().toString().substring(0, 8)) + "/registry";
    }

    /** A stand-in model directory: the registry copies files and does not read them. */
    private String model(String tag) throws Exception {
        java.nio.file.Path dir = Files.createDirectories(tmp.resolve("model-" + tag));
        Files.writeString(dir.resolve("config.json"), "{\"tag\":\"" + tag + "\"}");
        Files.writeString(dir.resolve("model.safetensors"), "weights " + tag);
        return dir.toUri().toString();
    }

    private static ObjectNode metrics(double ppl) {
        ObjectNode m = JsonNodeFactory.instance.objectNode();
        m.putObject("eval").putObject("metrics").put("perplexity", ppl);
        return m;
    }

    private static String read(String uri) throws Exception {
        Path p = new Path(uri);
        try (InputStream in = p.getFileSystem(LocalSpark.session().sparkContext().hadoopConfiguration()).open(p)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "s3a"})
    void promoteAndRollbackMoveThePointerAndAreRecorded(String fs) throws Exception {
        ModelRegistry r = ModelRegistry.open(LocalSpark.session(), root(fs), "riddler");
        assertTrue(r.champion().isEmpty());
        assertThrows(NoPreviousChampionException.class, () -> r.rollback(null, "nothing to roll back"));
        ModelVersion v1 = r.register(model("a"), metrics(20), m -> "# card v" + m.get("version"), "run-1");
        assertEquals(1, v1.version());
        assertEquals(v1, r.register(model("a"), metrics(20), m -> "# card", "run-1"), "a run registers once");
        ModelVersion v2 = r.register(model("b"), metrics(15), m -> "# card v" + m.get("version"), "run-2");
        assertEquals(2, v2.version());
        assertEquals("# card v2", read(v2.uri() + "/MODEL_CARD.md"));
        assertEquals("{\"tag\":\"b\"}", read(v2.uri() + "/config.json"));

        r.promote(1, ChampionChange.PROMOTE, "run-1", "no champion yet");
        r.promote(2, ChampionChange.PROMOTE, "run-2", "better");
        assertEquals(2, r.champion().orElseThrow().version());
        assertTrue(read(r.uri() + "/champion").contains("\"version\":2"));

        ChampionChange back = r.rollback(null, "v2 writes bad riddles");
        assertEquals(1, back.toVersion());
        assertEquals(2, back.fromVersion());
        assertEquals(1, r.champion().orElseThrow().version());
        ChampionChange again = r.promote(2, ChampionChange.MANUAL_PROMOTE, null, "fixed upstream");
        assertEquals(1, again.fromVersion());
        List<ChampionChange> h = r.history();
        assertEquals(List.of("promote", "promote", "rollback", "manual_promote"), h.stream().map(ChampionChange::action).toList());
        assertEquals(List.of(1, 2, 1, 2), h.stream().map(ChampionChange::toVersion).toList());
        assertNull(h.get(0).fromVersion());
        assertEquals("v2 writes bad riddles", h.get(2).reason());
        VersionNotFoundException missing = assertThrows(VersionNotFoundException.class, () -> r.promote(7, ChampionChange.MANUAL_PROMOTE, null, "x"));
        assertTrue(missing.getMessage().contains("no complete version v7 (versions: [v1, v2])"), missing.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "s3a"})
    void readersTolerateAMissingOrTornPointerAndSkipIncompleteVersions(String fs) throws Exception {
        ModelRegistry r = ModelRegistry.open(LocalSpark.session(), root(fs), "riddler");
        r.register(model("a"), metrics(20), m -> "card", "run-1");
        r.promote(1, ChampionChange.PROMOTE, "run-1", "first");
        FileSystem hfs = new Path(r.uri()).getFileSystem(LocalSpark.session().sparkContext().hadoopConfiguration());
        // The window of a pointer move on S3 (deleted, not yet renamed), and a torn write.
        hfs.delete(new Path(r.uri() + "/champion"), false);
        assertEquals(1, r.champion().orElseThrow().version());
        try (OutputStream out = hfs.create(new Path(r.uri() + "/champion"), true)) {
            out.write("{\"versi".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(1, r.champion().orElseThrow().version());
        // A registration that died before metrics.json: not listed, and its number is reused.
        hfs.mkdirs(new Path(r.uri() + "/v2"));
        try (OutputStream out = hfs.create(new Path(r.uri() + "/v2/model.safetensors"), true)) {
            out.write(1);
        }
        assertEquals(List.of(1), r.versions().stream().map(ModelVersion::version).toList());
        ModelVersion v2 = r.register(model("b"), metrics(10), m -> "card", "run-2");
        assertEquals(2, v2.version());
        assertFalse(read(v2.uri() + "/config.json").contains("\"a\""));
    }
}
