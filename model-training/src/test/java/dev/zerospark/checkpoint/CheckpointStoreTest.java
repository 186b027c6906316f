package dev.zerospark.checkpoint;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.zerospark.testing.S3ProxyServer;
import dev.zerospark.training.data.DataCursor;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointStoreTest {
    private static S3ProxyServer s3;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = S3ProxyServer.start();
    }

    @AfterAll
    static void stopS3() throws Exception {
        s3.close();
    }

    static final String RUN = "run-a";

    private static Manifest save(CheckpointStore store, long step, int ranks, int keepLast) {
        return save(store, RUN, step, ranks, new CheckpointStore.Retention(keepLast, -1));
    }

    static Manifest save(CheckpointStore store, String runId, long step, int ranks, CheckpointStore.Retention retention) {
        Map<String, Manifest.FileEntry> files = new HashMap<>();
        for (int r = 0; r < ranks; r++) {
            byte[] payload = ("rank " + r + " step " + step).getBytes(StandardCharsets.UTF_8);
            files.put("optim-rank" + r + ".safetensors", store.write(step, "optim-rank" + r + ".safetensors", out -> out.write(payload)));
        }
        Manifest m = manifest(step, runId, ranks, files);
        store.commit(m, retention);
        return m;
    }

    static Manifest manifest(long step, String runId, int ranks, Map<String, Manifest.FileEntry> files) {
        Layout layout = new Layout(ranks, 4, 4, 4 / ranks, 1, List.of(new Layout.Param("w", 0, 4, true, new long[] {2, 2})));
        return new Manifest(step, runId, ranks, 2, files, layout, JsonNodeFactory.instance.objectNode(),
                new DataCursor("t", 3, 1, 0, 0, null, null), new Manifest.Rng(1, "test"));
    }

    private static void exercise(CheckpointStore store) throws Exception {
        save(store, 10, 2, 0);
        save(store, 20, 2, 0);
        // A save that crashed before its manifest: files exist, no manifest. It must be invisible.
        store.write(30, "optim-rank0.safetensors", out -> out.write(1));
        assertEquals(List.of(10L, 20L), store.completeSteps());

        Manifest latest = store.latestValid().orElseThrow();
        assertEquals(20, latest.step());
        assertEquals(2, latest.worldSize());
        assertEquals(3, latest.data().version());
        try (InputStream in = store.open(20, "optim-rank1.safetensors")) {
            assertArrayEquals("rank 1 step 20".getBytes(StandardCharsets.UTF_8), in.readAllBytes());
        }

        // Damage one shard of step 20, keeping its size: the driver's check (manifest and sizes, nothing hashed)
        // passes it, but full verification and the rank reading it name the file and step.
        store.write(20, "optim-rank1.safetensors", out -> out.write("rank 1 step 2!".getBytes(StandardCharsets.UTF_8)));
        ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class, () -> store.verify(store.manifest(20)));
        assertTrue(e.getMessage().contains("step-20/optim-rank1.safetensors"), e.getMessage());
        assertEquals(20, store.latestValid().orElseThrow().step());
        try (CheckpointFile f = store.openVerified(store.manifest(20), "optim-rank1.safetensors")) {
            ChecksumMismatchException read = assertThrows(ChecksumMismatchException.class, f::readAll);
            assertTrue(read.getMessage().contains("step-20/optim-rank1.safetensors"), read.getMessage());
        }
        // Truncated (a torn upload), it is unusable to the driver too: resume falls back to step 10.
        store.write(20, "optim-rank1.safetensors", out -> out.write("rank 1".getBytes(StandardCharsets.UTF_8)));
        assertEquals(10, store.latestValid().orElseThrow().step());

        // A manifest that is there but unreadable (a torn write on a filesystem without atomic rename) is skipped too.
        save(store, 30, 2, 0);
        store.write(30, CheckpointStore.MANIFEST, out -> out.write("{\"step\": 3".getBytes(StandardCharsets.UTF_8)));
        assertEquals(10, store.latestValid().orElseThrow().step());

        // keep_last=2 keeps the two newest verified steps: 30 (torn manifest) and 20 (damaged shard) don't count.
        save(store, 40, 2, 2);
        assertEquals(List.of(10L, 40L), store.completeSteps());
        assertEquals(40, store.latest().orElseThrow());

        // A step re-committed after a restart replaces its manifest (s3a:// refuses a rename onto an existing file).
        Manifest again = save(store, 40, 3, 0);
        assertEquals(3, store.manifest(40).worldSize());
        store.verify(again);
    }

    @Test
    void localFilesystem(@TempDir Path dir) throws Exception {
        CheckpointStore store = new CheckpointStore(dir.toUri().toString() + "ckpt", new Configuration());
        exercise(store);
        assertEquals("step-40", Files.readString(dir.resolve("ckpt/latest")).trim());
    }

    @Test
    void s3aOnS3Proxy() throws Exception {
        Configuration conf = new Configuration();
        s3.hadoopConf().forEach(conf::set);
        String bucket = s3.createBucket("ckpt-test");
        exercise(new CheckpointStore(bucket + "/run1", conf));
    }

    /** keep_last=1 and a newest step whose shard is torn: the good step before it must survive. */
    private static void corruptNewestKeepsTheGoodStep(CheckpointStore store) {
        save(store, 10, 2, 1);
        Map<String, Manifest.FileEntry> files = new HashMap<>();
        files.put("optim-rank0.safetensors", store.write(20, "optim-rank0.safetensors", out -> out.write(new byte[] {1, 2, 3})));
        store.write(20, "optim-rank0.safetensors", out -> out.write(new byte[] {9, 9})); // torn after its checksum
        store.commit(manifest(20, RUN, 1, files), new CheckpointStore.Retention(1, -1));
        assertEquals(10, store.latestValid().orElseThrow().step(), "the good step survives");
        assertEquals(List.of(10L), store.completeSteps(), "the unverified step is not kept");
        assertEquals(10, store.latest().orElseThrow(), "latest names the newest verified step");
    }

    @Test
    void keepLastOneWithACorruptNewestStepKeepsTheGoodOne(@TempDir Path dir) {
        corruptNewestKeepsTheGoodStep(new CheckpointStore(dir.toUri() + "ckpt", new Configuration()));
    }

    @Test
    void keepLastOneWithACorruptNewestStepKeepsTheGoodOneOnS3a() {
        Configuration conf = new Configuration();
        s3.hadoopConf().forEach(conf::set);
        corruptNewestKeepsTheGoodStep(new CheckpointStore(s3.createBucket("ckpt-corrupt") + "/run", conf));
    }

    @Test
    void retentionNeverDeletesTheStepResumedFrom(@TempDir Path dir) {
        CheckpointStore store = new CheckpointStore(dir.toUri() + "ckpt", new Configuration());
        save(store, 10, 1, 0);
        save(store, 20, 1, 0);
        save(store, RUN, 30, 1, new CheckpointStore.Retention(1, 10));
        assertEquals(List.of(10L, 30L), store.completeSteps());
    }

    @Test
    void retentionCountsAndKeepsOnlyThisRunsVerifiedSteps(@TempDir Path dir) throws Exception {
        CheckpointStore store = new CheckpointStore(dir.toUri() + "ckpt", new Configuration());
        save(store, "other-run", 10, 1, new CheckpointStore.Retention(0, -1));
        save(store, "other-run", 20, 1, new CheckpointStore.Retention(0, -1));
        store.write(25, "optim-rank0.safetensors", out -> out.write(1)); // a save that never got its manifest
        save(store, RUN, 30, 1, new CheckpointStore.Retention(2, -1));
        assertEquals(List.of(30L), store.completeSteps(), "another run's steps neither count nor stay");
        assertFalse(Files.exists(dir.resolve("ckpt/step-25")), "an incomplete step below is deleted");
        save(store, RUN, 40, 1, new CheckpointStore.Retention(2, -1));
        save(store, RUN, 50, 1, new CheckpointStore.Retention(2, -1));
        assertEquals(List.of(40L, 50L), store.completeSteps());
    }

    @Test
    void restartResumesOnlyFromThisRunsStepsAndDeletesWhatLiesAbove(@TempDir Path dir) {
        CheckpointStore store = new CheckpointStore(dir.toUri() + "ckpt", new Configuration());
        save(store, RUN, 2, 1, new CheckpointStore.Retention(0, -1));
        save(store, RUN, 4, 1, new CheckpointStore.Retention(0, -1));
        store.write(6, "optim-rank0.safetensors", out -> out.write(1)); // a task of the failed attempt, still running
        save(store, "other-run", 8, 1, new CheckpointStore.Retention(0, -1));
        assertEquals(4, store.restartPoint(RUN, -1).orElseThrow().step());
        assertEquals(List.of(2L, 4L), store.completeSteps());
        assertEquals(4, store.newestStep(), "the partial step-6 is gone too");

        // A run resumed from a step written before run ids (no run id) may still restart from that step.
        CheckpointStore legacy = new CheckpointStore(dir.toUri() + "legacy", new Configuration());
        save(legacy, null, 3, 1, new CheckpointStore.Retention(0, -1));
        assertEquals(3, legacy.restartPoint("new-run", 3).orElseThrow().step());
        assertTrue(legacy.restartPoint("new-run", -1).isEmpty());
    }

    @Test
    void unparsableStepDirectoryIsIgnored(@TempDir Path dir) throws Exception {
        CheckpointStore store = new CheckpointStore(dir.toUri() + "ckpt", new Configuration());
        save(store, 10, 1, 0);
        Path huge = Files.createDirectories(dir.resolve("ckpt/step-99999999999999999999"));
        Files.copy(dir.resolve("ckpt/step-10/manifest.json"), huge.resolve("manifest.json"));
        assertEquals(List.of(10L), store.completeSteps());
        assertEquals(10, store.latestValid().orElseThrow().step());
        assertEquals(10, store.newestStep());
    }

    @Test
    void latestIsNeverLeftTornByACrashWhileWritingIt(@TempDir Path dir) throws Exception {
        Configuration conf = new Configuration();
        conf.set("fs.crashfs.impl", CrashingLocalFileSystem.class.getName());
        conf.setBoolean("fs.crashfs.impl.disable.cache", true);
        CheckpointStore store = new CheckpointStore("crashfs://" + dir.toUri().getPath() + "ckpt", conf);
        save(store, 10, 1, 0);
        CrashingLocalFileSystem.crashWritingFilesNamed("latest");
        try {
            assertThrows(CheckpointException.class, () -> save(store, 20, 1, 0));
        } finally {
            CrashingLocalFileSystem.crashWritingFilesNamed(null);
        }
        assertEquals("step-10", Files.readString(dir.resolve("ckpt/latest")).trim());
        assertEquals(10, store.latest().orElseThrow());
    }

    /** Steps written before chunked checksums record one whole-file sha256: still read, and verified whole. */
    @Test
    void aWholeFileChecksumFromOlderManifestsIsStillVerified(@TempDir Path dir) throws Exception {
        CheckpointStore store = new CheckpointStore(dir.toUri() + "ckpt", new Configuration());
        byte[] payload = "older shard".getBytes(StandardCharsets.UTF_8);
        store.write(5, "optim-rank0.safetensors", out -> out.write(payload));
        String whole = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(payload));
        Manifest m = manifest(5, RUN, 1, Map.of("optim-rank0.safetensors", new Manifest.FileEntry(whole, payload.length)));
        store.commit(m, new CheckpointStore.Retention(0, -1));
        try (CheckpointFile f = store.openVerified(store.manifest(5), "optim-rank0.safetensors")) {
            assertArrayEquals(payload, f.readAll());
        }
        Manifest wrong = manifest(5, RUN, 1, Map.of("optim-rank0.safetensors", new Manifest.FileEntry("ab".repeat(32), payload.length)));
        store.commit(wrong, new CheckpointStore.Retention(0, -1));
        try (CheckpointFile f = store.openVerified(store.manifest(5), "optim-rank0.safetensors")) {
            ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class, f::readAll);
            assertTrue(e.getMessage().contains("step-5/optim-rank0.safetensors"), e.getMessage());
        }
    }

    @Test
    void emptyRootHasNoCheckpoint(@TempDir Path dir) {
        CheckpointStore store = new CheckpointStore(dir.toUri() + "none", new Configuration());
        assertTrue(store.latestValid().isEmpty());
    }
}
