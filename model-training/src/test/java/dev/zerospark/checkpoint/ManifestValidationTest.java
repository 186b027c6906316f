package dev.zerospark.checkpoint;

import dev.zerospark.config.ConfigLoader;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Manifests are untrusted input: a bad one is a corrupt checkpoint, named by its key, and resume skips it. */
class ManifestValidationTest {
    private static final byte[] PAYLOAD = "shard".getBytes(StandardCharsets.UTF_8);

    private static CheckpointStore store(Path dir) {
        return new CheckpointStore(dir.toUri() + "ckpt", new Configuration());
    }

    /** Writes step {@code step} with {@code files} as its manifest's file list, bypassing commit's checks. */
    private static void writeManifest(CheckpointStore store, long step, Map<String, Manifest.FileEntry> files) throws Exception {
        byte[] json = ConfigLoader.jsonMapper().writeValueAsBytes(CheckpointStoreTest.manifest(step, "run", 1, files));
        store.write(step, CheckpointStore.MANIFEST, out -> out.write(json));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/etc/passwd", "../step-10/optim-rank0.safetensors", "sub/../../x", "a..b",
            "s3a://elsewhere/x", "file:/etc/passwd", ""})
    void fileKeyOutsideTheStepIsRejectedByName(String key, @TempDir Path dir) throws Exception {
        CheckpointStore store = store(dir);
        CheckpointStoreTest.save(store, "run", 10, 1, new CheckpointStore.Retention(0, -1));
        Manifest.FileEntry good = store.write(20, "optim-rank0.safetensors", out -> out.write(PAYLOAD));
        writeManifest(store, 20, Map.of(key, good));
        CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class, () -> store.manifest(20));
        assertEquals(key, e.key());
        assertTrue(e.getMessage().contains("step-20") && e.getMessage().contains("'" + key + "'"), e.getMessage());
        assertEquals(10, store.latestValid().orElseThrow().step(), "resume falls back past the corrupt step");
    }

    @Test
    void sizeThatDiffersFromTheFileIsRejected(@TempDir Path dir) throws Exception {
        CheckpointStore store = store(dir);
        Manifest.FileEntry written = store.write(20, "optim-rank0.safetensors", out -> out.write(PAYLOAD));
        writeManifest(store, 20, Map.of("optim-rank0.safetensors", new Manifest.FileEntry(written.sha256(), written.bytes() + 1)));
        CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class, () -> store.verify(store.manifest(20)));
        assertEquals("optim-rank0.safetensors", e.key());
        assertTrue(e.getMessage().contains((written.bytes() + 1) + " bytes, file has " + written.bytes()), e.getMessage());
        assertTrue(store.latestValid().isEmpty());
    }

    /**
     * Chunk checksums are untrusted too: one list of them, tiling the file; CRC32Cs of 8 hex digits; chunk sha256s
     * (older manifests) hashing to the entry's sha256.
     */
    @Test
    void chunkDigestsThatDoNotAddUpAreRejectedByName(@TempDir Path dir) throws Exception {
        CheckpointStore store = store(dir);
        Manifest.FileEntry w = store.write(20, "optim-rank0.safetensors", out -> out.write(PAYLOAD));
        List<String> crcs = w.chunkCrc32c();
        String other = "00".repeat(32);
        for (Manifest.FileEntry bad : List.of(
                new Manifest.FileEntry(w.sha256(), w.bytes(), w.chunkBytes(), w.cuts(), List.of(other), null),
                new Manifest.FileEntry(w.sha256(), w.bytes(), w.chunkBytes(), w.cuts(), null, List.of(crcs.get(0), "00000000")),
                new Manifest.FileEntry(w.sha256(), w.bytes(), w.chunkBytes(), w.cuts(), null, List.of("0x1f")),
                new Manifest.FileEntry(w.sha256(), w.bytes(), w.chunkBytes(), w.cuts(), List.of(other), crcs),
                new Manifest.FileEntry(w.sha256(), w.bytes(), 0, w.cuts(), null, crcs))) {
            writeManifest(store, 20, Map.of("optim-rank0.safetensors", bad));
            CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class, () -> store.manifest(20));
            assertEquals("optim-rank0.safetensors", e.key(), e.getMessage());
        }
        writeManifest(store, 20, Map.of("optim-rank0.safetensors", w));
        store.verify(store.manifest(20));
    }

    @Test
    void manifestListingNoFilesIsRejected(@TempDir Path dir) throws Exception {
        CheckpointStore store = store(dir);
        writeManifest(store, 20, Map.of());
        CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class, () -> store.manifest(20));
        assertTrue(e.getMessage().contains("step-20") && e.getMessage().contains("lists no files"), e.getMessage());
        assertTrue(store.latestValid().isEmpty());
    }

    @Test
    void manifestRecordingAnotherStepIsRejected(@TempDir Path dir) throws Exception {
        CheckpointStore store = store(dir);
        Manifest.FileEntry written = store.write(20, "optim-rank0.safetensors", out -> out.write(PAYLOAD));
        byte[] json = ConfigLoader.jsonMapper().writeValueAsBytes(
                CheckpointStoreTest.manifest(30, "run", 1, Map.of("optim-rank0.safetensors", written)));
        store.write(20, CheckpointStore.MANIFEST, out -> out.write(json));
        assertThrows(CorruptCheckpointException.class, () -> store.manifest(20));
    }
}
