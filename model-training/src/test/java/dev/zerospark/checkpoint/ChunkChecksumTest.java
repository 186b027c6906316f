package dev.zerospark.checkpoint;

import dev.zerospark.checkpoint.internal.ChunkMap;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * New checkpoint files record a CRC32C per chunk (what every read verifies) and keep a sha256 content id that only
 * {@code checkpoint inspect} checks; steps written before, with a sha256 per chunk, still read and verify with sha256.
 */
class ChunkChecksumTest {
    private static final int CHUNK = 1000;
    private static final String FILE = "optim-rank0.safetensors";

    /** 3,500 random bytes cut after 1,200: chunks [0,1000) [1000,1200) [1200,2200) [2200,3200) [3200,3500). */
    private static byte[] payload() {
        byte[] b = new byte[3500];
        new Random(3).nextBytes(b);
        return b;
    }

    private static Manifest.FileEntry writeFile(CheckpointStore store, long step, byte[] b) {
        return store.write(step, FILE, out -> {
            out.write(b, 0, 1200);
            out.endChunk();
            out.write(b, 1200, b.length - 1200);
        });
    }

    @Test
    void newFilesRecordTheCrc32cOfEveryChunkAndASha256OfTheChunkSha256s(@TempDir Path dir) throws Exception {
        CheckpointStore store = new CheckpointStore(dir.toUri() + "ckpt", new Configuration(), CHUNK);
        byte[] b = payload();
        Manifest.FileEntry e = writeFile(store, 3, b);
        store.commit(CheckpointStoreTest.manifest(3, "run", 1, Map.of(FILE, e)), new CheckpointStore.Retention(0, -1));

        ChunkMap map = ChunkMap.of(b.length, CHUNK, List.of(1200L), 5);
        List<String> crcs = new ArrayList<>();
        MessageDigest root = MessageDigest.getInstance("SHA-256");
        for (int c = 0; c < map.count(); c++) {
            int from = (int) map.start(c);
            int len = (int) (map.end(c) - from);
            CRC32C crc = new CRC32C();
            crc.update(b, from, len);
            crcs.add(String.format("%08x", crc.getValue()));
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(b, from, len);
            root.update(sha.digest());
        }
        Manifest read = store.manifest(3);
        assertEquals(crcs, read.files().get(FILE).chunkCrc32c());
        assertNull(read.files().get(FILE).chunks(), "no chunk sha256s are written any more");
        assertEquals(HexFormat.of().formatHex(root.digest()), read.files().get(FILE).sha256());
        String json = Files.readString(dir.resolve("ckpt/step-3/" + CheckpointStore.MANIFEST));
        assertTrue(json.contains("\"chunk_crc32c\" : [ \"" + crcs.get(0) + "\""), json);
        store.verify(read);
    }

    @Test
    void aDamagedByteFailsTheReadWithTheCrc32cNamingStepFileAndChunk(@TempDir Path dir) throws Exception {
        CheckpointStore store = new CheckpointStore(dir.toUri() + "ckpt", new Configuration(), CHUNK);
        byte[] b = payload();
        store.commit(CheckpointStoreTest.manifest(3, "run", 1, Map.of(FILE, writeFile(store, 3, b))), new CheckpointStore.Retention(0, -1));
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("ckpt/step-3/" + FILE).toFile(), "rw")) {
            f.seek(2500); // chunk 3 [2200, 3200)
            f.write(b[2500] ^ 1);
        }
        // The local filesystem's own checksum sidecar would catch it first; stores like S3 have none.
        Files.delete(dir.resolve("ckpt/step-3/." + FILE + ".crc"));
        Manifest m = store.manifest(3);
        try (CheckpointFile f = store.openVerified(m, FILE)) {
            byte[] head = new byte[2200];
            f.readFully(0, head, 0, head.length);
            assertArrayEquals(java.util.Arrays.copyOf(b, 2200), head, "the undamaged chunks still read");
            for (org.junit.jupiter.api.function.Executable read : List.<org.junit.jupiter.api.function.Executable>of(
                    () -> f.readFully(2400, new byte[200], 0, 200),
                    () -> f.read(0, b.length, bytes -> {}))) {
                CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class, read);
                assertEquals(FILE, e.key());
                assertTrue(e.getMessage().contains("step-3/" + FILE) && e.getMessage().contains("checksum mismatch in chunk 3 (bytes 2200..3200): manifest says crc32c "),
                        e.getMessage());
            }
        }
        assertThrows(ChecksumMismatchException.class, () -> store.verify(m), "inspect's full verification finds it too");
    }

    /** A wrong sha256 content id stops only {@code checkpoint inspect}: a read verifies the chunk CRC32Cs alone. */
    @Test
    void readsDoNotNeedTheSha256WhichInspectStillChecks(@TempDir Path dir) {
        CheckpointStore store = new CheckpointStore(dir.toUri() + "ckpt", new Configuration(), CHUNK);
        byte[] b = payload();
        Manifest.FileEntry e = writeFile(store, 3, b);
        Manifest.FileEntry wrongId = new Manifest.FileEntry("ab".repeat(32), e.bytes(), e.chunkBytes(), e.cuts(), null, e.chunkCrc32c());
        store.commit(CheckpointStoreTest.manifest(3, "run", 1, Map.of(FILE, wrongId)), new CheckpointStore.Retention(0, -1));
        Manifest m = store.manifest(3);
        try (CheckpointFile f = store.openVerified(m, FILE)) {
            assertArrayEquals(b, f.readAll());
        }
        ChecksumMismatchException x = assertThrows(ChecksumMismatchException.class, () -> store.verify(m));
        assertTrue(x.getMessage().contains("sha256") && x.getMessage().contains("ab".repeat(32)), x.getMessage());
    }

    /**
     * {@code checkpoint/sha256-chunks/step-7}: a 2-rank step written by the code before CRC32C (a sha256 per 256-byte
     * chunk), tensor values {@code len(name) * 100000 + flat element}. It still reads, verified with sha256.
     */
    @Test
    void aStepWithChunkSha256sFromBeforeCrc32cStillReadsVerifiedWithSha256(@TempDir Path dir) throws Exception {
        Path step = Files.createDirectories(dir.resolve("ckpt/step-7"));
        for (String name : List.of(CheckpointStore.MANIFEST, OptimizerShards.fileName(0), OptimizerShards.fileName(1))) {
            Files.copy(Path.of(getClass().getResource("/checkpoint/sha256-chunks/step-7/" + name).toURI()), step.resolve(name));
        }
        CheckpointStore store = new CheckpointStore(dir.toUri() + "ckpt", new Configuration());
        Manifest m = store.latestValid().orElseThrow();
        assertEquals(7, m.step());
        Manifest.FileEntry shard1 = m.files().get(OptimizerShards.fileName(1));
        assertNull(shard1.chunkCrc32c());
        assertEquals(256, shard1.chunkBytes(), "read by the chunk size it was written with, not the store's");
        try (OptimizerShards shards = OptimizerShards.open(store, m)) {
            for (String t : List.of(OptimizerShards.MASTER, OptimizerShards.EXP_AVG, OptimizerShards.EXP_AVG_SQ)) {
                float[] all = new float[512];
                shards.read(t, 0, all, 0, all.length);
                for (int i = 0; i < all.length; i++) assertEquals(t.length() * 100_000f + i, all[i], t + "[" + i + "]");
            }
        }
        store.verify(m);

        try (RandomAccessFile f = new RandomAccessFile(step.resolve(OptimizerShards.fileName(1)).toFile(), "rw")) {
            f.seek(shard1.bytes() - 10); // in the last chunk, of exp_avg_sq
            int v = f.read();
            f.seek(shard1.bytes() - 10);
            f.write(v ^ 1);
        }
        int last = shard1.chunks().size() - 1;
        try (OptimizerShards shards = OptimizerShards.open(store, m)) {
            ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class,
                    () -> shards.read(OptimizerShards.EXP_AVG_SQ, 256, new float[256], 0, 256));
            assertTrue(e.getMessage().contains("step-7/" + OptimizerShards.fileName(1))
                    && e.getMessage().contains("checksum mismatch in chunk " + last + " (")
                    && e.getMessage().contains("manifest says sha256 " + shard1.chunks().get(last)), e.getMessage());
        }
    }
}
