package dev.zerospark.checkpoint;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.zerospark.checkpoint.internal.SafetensorsStream;
import dev.zerospark.testing.S3ProxyServer;
import dev.zerospark.training.data.DataCursor;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Optimizer shards are streamed to the store hashed per chunk, and read back by range: a rank reads its own range
 * and, of the other shards, only their headers (same world size) or the parts it needs (another world size), every
 * byte verified. Counted on a real local filesystem ({@code countfs://}); round-tripped on S3Proxy.
 */
class OptimizerShardsTest {
    private static final int NUMEL = 10_000;
    private static final int WORLD = 2;
    private static final int SHARD = NUMEL / WORLD;
    private static final int CHUNK = 1024; // 256 floats: small enough that a partial read is visible
    private static final long STEP = 7;
    private static S3ProxyServer s3;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = S3ProxyServer.start();
    }

    @AfterAll
    static void stopS3() throws Exception {
        s3.close();
    }

    /** A distinct value per tensor and flat element, so a misplaced range shows. */
    private static float value(String tensor, int element) {
        return tensor.length() * 100_000f + element;
    }

    /** Step {@code STEP} of a {@code WORLD}-rank run: each rank's shard streamed through the store, then committed. */
    private static Manifest saveStep(CheckpointStore store) {
        Map<String, Manifest.FileEntry> files = new HashMap<>();
        for (int r = 0; r < WORLD; r++) {
            float[][] state = new float[3][SHARD];
            List<String> names = List.of(OptimizerShards.MASTER, OptimizerShards.EXP_AVG, OptimizerShards.EXP_AVG_SQ);
            for (int t = 0; t < 3; t++) for (int i = 0; i < SHARD; i++) state[t][i] = value(names.get(t), r * SHARD + i);
            List<SafetensorsStream.Tensor> tensors = List.of(
                    SafetensorsStream.Tensor.i64(OptimizerShards.RANGE, new long[] {r * SHARD, SHARD, STEP}),
                    SafetensorsStream.Tensor.f32(OptimizerShards.MASTER, state[0]),
                    SafetensorsStream.Tensor.f32(OptimizerShards.EXP_AVG, state[1]),
                    SafetensorsStream.Tensor.f32(OptimizerShards.EXP_AVG_SQ, state[2]));
            String name = OptimizerShards.fileName(r);
            files.put(name, store.write(STEP, name, out -> SafetensorsStream.write(out, tensors)));
        }
        Layout layout = new Layout(WORLD, NUMEL, NUMEL, SHARD, 4, List.of(
                new Layout.Param("a.weight", 0, 6000, true, new long[] {60, 100}),
                new Layout.Param("b.bias", 6000, 4000, false, new long[] {4000})));
        Manifest m = new Manifest(STEP, "run", WORLD, 2, files, layout, JsonNodeFactory.instance.objectNode(),
                new DataCursor("t", 0, 0, 0, 0, null, null), null);
        store.commit(m, new CheckpointStore.Retention(0, -1));
        return store.manifest(STEP);
    }

    private static float[] read(OptimizerShards shards, String tensor, int from, int count) {
        float[] out = new float[count];
        shards.read(tensor, from, out, 0, count);
        return out;
    }

    private static float[] expected(String tensor, int from, int count) {
        float[] out = new float[count];
        for (int i = 0; i < count; i++) out[i] = value(tensor, from + i);
        return out;
    }

    private static CheckpointStore countingStore(Path dir) {
        Configuration conf = new Configuration();
        conf.set("fs.countfs.impl", CountingLocalFileSystem.class.getName());
        conf.setBoolean("fs.countfs.impl.disable.cache", true);
        return new CheckpointStore("countfs://" + dir.toUri().getPath() + "ckpt", conf, CHUNK);
    }

    @Test
    void aResumeAtTheSameWorldSizeReadsItsOwnShardAndNothingOfTheOthers(@TempDir Path dir) {
        CheckpointStore store = countingStore(dir);
        Manifest m = saveStep(store);
        long own = m.files().get(OptimizerShards.fileName(1)).bytes();
        CountingLocalFileSystem.reset();
        try (OptimizerShards shards = OptimizerShards.open(store, m)) {
            for (String t : List.of(OptimizerShards.MASTER, OptimizerShards.EXP_AVG, OptimizerShards.EXP_AVG_SQ)) {
                assertArrayEquals(expected(t, SHARD, SHARD), read(shards, t, SHARD, SHARD), t);
            }
            assertEquals(STEP, shards.step());
        }
        assertEquals(own, CountingLocalFileSystem.bytesRead(OptimizerShards.fileName(1)), "the own shard, each byte once");
        assertEquals(0, CountingLocalFileSystem.bytesRead(OptimizerShards.fileName(0)),
                "rank 0's shard is not opened: the recorded layout says rank 1's holds the range");
    }

    @Test
    void aResumeAtAnotherWorldSizeReadsOnlyTheRangesItNeeds(@TempDir Path dir) {
        CheckpointStore store = countingStore(dir);
        Manifest m = saveStep(store);
        // Rank 1 of 3 owns [3334, 6668): the tail of shard 0 and the head of shard 1.
        int from = 3334;
        int count = 3334;
        CountingLocalFileSystem.reset();
        try (OptimizerShards shards = OptimizerShards.open(store, m)) {
            for (String t : List.of(OptimizerShards.MASTER, OptimizerShards.EXP_AVG, OptimizerShards.EXP_AVG_SQ)) {
                assertArrayEquals(expected(t, from, count), read(shards, t, from, count), t);
            }
        }
        long needed0 = 3L * 4 * (SHARD - from);
        long needed1 = 3L * 4 * (from + count - SHARD);
        long read0 = CountingLocalFileSystem.bytesRead(OptimizerShards.fileName(0));
        long read1 = CountingLocalFileSystem.bytesRead(OptimizerShards.fileName(1));
        // At most its share, plus the headers and, per tensor, the rest of the one chunk its range starts or ends in.
        assertTrue(read0 >= needed0 && read0 <= needed0 + CHUNK + 3L * CHUNK, "shard 0: read " + read0 + ", needed " + needed0);
        assertTrue(read1 >= needed1 && read1 <= needed1 + CHUNK + 3L * CHUNK, "shard 1: read " + read1 + ", needed " + needed1);
        assertTrue(read0 < m.files().get(OptimizerShards.fileName(0)).bytes() / 2, "not the whole of shard 0");
        assertTrue(read1 < m.files().get(OptimizerShards.fileName(1)).bytes() / 2, "not the whole of shard 1");
    }

    @Test
    void aDamagedChunkFailsTheReadNamingTheFileAndStepWhileTheDriverCheckPassesIt(@TempDir Path dir) throws Exception {
        CheckpointStore store = countingStore(dir);
        Manifest m = saveStep(store);
        Path shard1 = dir.resolve("ckpt/step-" + STEP + "/" + OptimizerShards.fileName(1));
        try (RandomAccessFile f = new RandomAccessFile(shard1.toFile(), "rw")) {
            f.seek(f.length() - 10); // inside exp_avg_sq: size unchanged
            f.write(0x5a);
        }
        store.checkIntact(m); // the driver's check reads nothing and sees the right size
        assertEquals(STEP, store.latestValid().orElseThrow().step());
        try (OptimizerShards shards = OptimizerShards.open(store, m)) {
            assertArrayEquals(expected(OptimizerShards.MASTER, SHARD, SHARD), read(shards, OptimizerShards.MASTER, SHARD, SHARD),
                    "undamaged chunks still read");
            CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class,
                    () -> read(shards, OptimizerShards.EXP_AVG_SQ, SHARD, SHARD));
            assertTrue(e.getMessage().contains("step-" + STEP + "/" + OptimizerShards.fileName(1)), e.getMessage());
            assertEquals(OptimizerShards.fileName(1), e.key());
            long damaged = m.files().get(OptimizerShards.fileName(1)).bytes() - 10;
            assertTrue(e.getMessage().matches("(?s).*checksum mismatch in chunk \\d+ \\(bytes \\d+\\.\\.\\d+\\): manifest says crc32c .*"), e.getMessage());
            java.util.regex.Matcher bytes = java.util.regex.Pattern.compile("bytes (\\d+)\\.\\.(\\d+)").matcher(e.getMessage());
            assertTrue(bytes.find() && Long.parseLong(bytes.group(1)) <= damaged && damaged < Long.parseLong(bytes.group(2)),
                    "names the chunk holding the damaged byte " + damaged + ": " + e.getMessage());
        }
        assertThrows(ChecksumMismatchException.class, () -> store.verify(m), "inspect's full verification finds it too");
    }

    @Test
    void weightsAreRebuiltFromTheMasterShardsOnS3a() {
        Configuration conf = new Configuration();
        s3.hadoopConf().forEach(conf::set);
        CheckpointStore store = new CheckpointStore(s3.createBucket("optim-shards") + "/run", conf, CHUNK);
        Manifest m = saveStep(store);
        Layout layout = m.layout();
        try (OptimizerShards shards = OptimizerShards.open(store, m)) {
            for (Layout.Param p : layout.params()) {
                int n = Math.toIntExact(p.numel());
                assertArrayEquals(expected(OptimizerShards.MASTER, (int) p.offset(), n),
                        read(shards, OptimizerShards.MASTER, (int) p.offset(), n), p.name());
            }
        }
        store.verify(m);
    }

    /**
     * A chunk size that is not a multiple of 4 splits fp32 values across chunks: the writer converts values into
     * the chunk buffers across the boundary and the reader puts split values back together, every chunk verified.
     */
    @Test
    void valuesSplitAcrossChunksRoundTrip(@TempDir Path dir) {
        CheckpointStore store = new CheckpointStore(dir.toUri() + "ckpt", new Configuration(), 1030);
        Manifest m = saveStep(store);
        assertTrue(m.files().get(OptimizerShards.fileName(0)).chunkCrc32c().size() > 50, "many chunks, many split values");
        try (OptimizerShards shards = OptimizerShards.open(store, m)) {
            for (String t : List.of(OptimizerShards.MASTER, OptimizerShards.EXP_AVG, OptimizerShards.EXP_AVG_SQ)) {
                assertArrayEquals(expected(t, 3, NUMEL - 3), read(shards, t, 3, NUMEL - 3), t);
                assertArrayEquals(expected(t, SHARD - 1, 2), read(shards, t, SHARD - 1, 2), t + " across the shards");
            }
        }
        store.verify(m);
    }
}
