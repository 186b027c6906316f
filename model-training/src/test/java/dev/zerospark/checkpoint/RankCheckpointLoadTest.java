package dev.zerospark.checkpoint;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.zerospark.optim.AdamWConfig;
import dev.zerospark.training.data.DataCursor;
import dev.zerospark.zero.FlatParam;
import dev.zerospark.zero.PartitionLayout;
import dev.zerospark.zero.ShardedAdamW;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A resume reads its optimizer range from the verified chunks straight into the state's memory. */
class RankCheckpointLoadTest {
    private static final int NUMEL = 300_000;
    private static final long STEP = 5;
    private static final AdamWConfig CONFIG = new AdamWConfig(0.9, 0.95, 1e-8, 0);

    private static float value(int state, long element) {
        return state * 1_000_000f + element;
    }

    /** One rank's step of {@link #NUMEL} elements (state {@code s}, element {@code i}: {@link #value}), committed. */
    private static Manifest saveOneRank(CheckpointStore store, NDManager cpu) {
        PartitionLayout partition = PartitionLayout.of(List.of(new FlatParam("w", 0, NUMEL, true)), 1, 4);
        Layout layout = new Layout(1, NUMEL, partition.paddedNumel(), partition.shardSize(), partition.alignment(),
                List.of(new Layout.Param("w", 0, NUMEL, true, new long[] {NUMEL})));
        try (ShardedAdamW saved = ShardedAdamW.forShard(partition, 0, CONFIG, cpu)) {
            float[] values = new float[NUMEL];
            for (ShardedAdamW.State s : ShardedAdamW.State.values()) {
                for (int i = 0; i < NUMEL; i++) values[i] = value(s.ordinal(), i);
                saved.write(s, 0, values, 0, NUMEL);
            }
            var files = RankCheckpoint.save(store, STEP, STEP, 0, saved, "{}");
            Manifest m = new Manifest(STEP, "run", 1, 2, files, layout, JsonNodeFactory.instance.objectNode(),
                    new DataCursor("t", 0, 0, 0, 0, null, null), null);
            store.commit(m, new CheckpointStore.Retention(0, -1));
            return store.manifest(STEP);
        }
    }

    /**
     * Rank 1 of 2 resuming a 1-rank step: its range starts mid-chunk, so the first chunk it touches of each tensor
     * comes through the chunk buffer and the rest straight into the state; on a local store (positioned reads of
     * its channel) and on a store read through its stream alike.
     */
    @ParameterizedTest
    @ValueSource(strings = {"file", "countfs"})
    void aResumeAtAnotherWorldSizeReadsItsRangeAcrossWholeAndPartChunks(String scheme, @TempDir Path dir) {
        CheckpointStore store = store(scheme, dir);
        try (NDManager cpu = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            Manifest m = saveOneRank(store, cpu);
            PartitionLayout two = PartitionLayout.of(List.of(new FlatParam("w", 0, NUMEL, true)), 2, 4);
            Layout model = new Layout(2, NUMEL, two.paddedNumel(), two.shardSize(), two.alignment(),
                    List.of(new Layout.Param("w", 0, NUMEL, true, new long[] {NUMEL})));
            try (ShardedAdamW rank1 = ShardedAdamW.forShard(two, 1, CONFIG, cpu)) {
                assertTrue(rank1.rangeOffset() % (16 << 10) != 0, "the range starts mid-chunk");
                assertEquals(STEP, RankCheckpoint.load(store, m, model, rank1));
                int n = (int) (NUMEL - rank1.rangeOffset());
                for (ShardedAdamW.State s : ShardedAdamW.State.values()) {
                    float[] back = new float[n];
                    rank1.read(s, 0, back, 0, n);
                    for (int i = 0; i < n; i++) {
                        assertEquals(value(s.ordinal(), rank1.rangeOffset() + i), back[i], s + "[" + i + "]");
                    }
                }
            }
        }
    }

    /**
     * A flipped bit in a chunk a load reads straight into the state's memory fails the load, naming the file and
     * the chunk: checked where it landed, it is never taken as verified.
     */
    @ParameterizedTest
    @ValueSource(strings = {"file", "countfs"})
    void aFlippedBitInAWholeChunkFailsTheResumeNamingTheChunk(String scheme, @TempDir Path dir) throws Exception {
        CheckpointStore store = store(scheme, dir);
        try (NDManager cpu = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            Manifest m = saveOneRank(store, cpu);
            Path shard = dir.resolve("ckpt/step-" + STEP + "/" + OptimizerShards.fileName(0));
            long at = m.files().get(OptimizerShards.fileName(0)).bytes() - 4L * NUMEL / 2; // mid exp_avg_sq
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(shard.toFile(), "rw")) {
                f.seek(at);
                int b = f.read();
                f.seek(at);
                f.write(b ^ 0x10);
            }
            try (ShardedAdamW resumed = ShardedAdamW.forShard(PartitionLayout.of(
                    List.of(new FlatParam("w", 0, NUMEL, true)), 1, 4), 0, CONFIG, cpu)) {
                ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class,
                        () -> RankCheckpoint.load(store, m, m.layout(), resumed));
                assertTrue(e.getMessage().contains("step-" + STEP + "/" + OptimizerShards.fileName(0))
                        && e.getMessage().contains("checksum mismatch in chunk "), e.getMessage());
            }
        }
    }

    /**
     * On a local store a resume reads whole chunks straight into the state: with 1 MB chunks, reading through the
     * chunk buffer (as a store read through its stream does) allocates at least one 1 MB array on the heap; the
     * channel path allocates none of that size.
     */
    @Test
    void aLocalResumeReadsWholeChunksWithoutAChunkBufferOnTheHeap(@TempDir Path dir) {
        CheckpointStore local = new CheckpointStore(dir.toUri() + "ckpt", new Configuration(), 1 << 20);
        try (NDManager cpu = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            Manifest m = saveOneRank(local, cpu);
            try (ShardedAdamW resumed = ShardedAdamW.forShard(PartitionLayout.of(
                    List.of(new FlatParam("w", 0, NUMEL, true)), 1, 4), 0, CONFIG, cpu)) {
                RankCheckpoint.load(local, m, m.layout(), resumed); // first use: classes, JIT
                com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                long before = threads.getCurrentThreadAllocatedBytes();
                assertEquals(STEP, RankCheckpoint.load(local, m, m.layout(), resumed));
                long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                assertTrue(allocated < 256 << 10, "a load allocated " + allocated + " bytes on the heap; a chunk is " + (1 << 20));
                float[] back = new float[NUMEL];
                resumed.read(ShardedAdamW.State.EXP_AVG_SQ, 0, back, 0, NUMEL);
                for (int i = 0; i < NUMEL; i++) assertEquals(value(2, i), back[i], "exp_avg_sq[" + i + "]");
            }
        }
    }

    /** A {@code file://} store (read through its channel) or a counting one (read through its stream), 64 KB chunks. */
    private static CheckpointStore store(String scheme, Path dir) {
        Configuration conf = new Configuration();
        if (scheme.equals("file")) return new CheckpointStore(dir.toUri() + "ckpt", conf, 64 << 10);
        conf.set("fs.countfs.impl", CountingChecksumFileSystem.class.getName());
        conf.setBoolean("fs.countfs.impl.disable.cache", true);
        return new CheckpointStore("countfs://" + dir.toUri().getPath() + "ckpt", conf, 64 << 10);
    }

    @Test
    void aResumeFillsTheStateWithoutAStagingCopyOnTheHeap(@TempDir Path dir) {
        PartitionLayout partition = PartitionLayout.of(List.of(new FlatParam("w", 0, NUMEL, true)), 1, 4);
        Layout layout = new Layout(1, NUMEL, partition.paddedNumel(), partition.shardSize(), partition.alignment(),
                List.of(new Layout.Param("w", 0, NUMEL, true, new long[] {NUMEL})));
        // Small chunks, so what the read itself holds (one chunk buffer) is far below one state tensor.
        CheckpointStore store = new CheckpointStore(dir.toUri() + "ckpt", new Configuration(), 64 << 10);
        AdamWConfig config = new AdamWConfig(0.9, 0.95, 1e-8, 0);
        float[][] values = new float[3][NUMEL];
        for (int s = 0; s < 3; s++) for (int i = 0; i < NUMEL; i++) values[s][i] = s * 1_000_000f + i;
        try (NDManager cpu = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            Manifest m;
            try (ShardedAdamW saved = ShardedAdamW.forShard(partition, 0, config, cpu)) {
                for (ShardedAdamW.State s : ShardedAdamW.State.values()) saved.write(s, 0, values[s.ordinal()], 0, NUMEL);
                var files = RankCheckpoint.save(store, STEP, STEP, 0, saved, "{}");
                m = new Manifest(STEP, "run", 1, 2, files, layout, JsonNodeFactory.instance.objectNode(),
                        new DataCursor("t", 0, 0, 0, 0, null, null), null);
                store.commit(m, new CheckpointStore.Retention(0, -1));
            }
            try (ShardedAdamW resumed = ShardedAdamW.forShard(partition, 0, config, cpu)) {
                RankCheckpoint.load(store, m, layout, resumed); // first use: classes, JIT
                com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                long before = threads.getCurrentThreadAllocatedBytes();
                assertEquals(STEP, RankCheckpoint.load(store, m, layout, resumed));
                long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                assertTrue(allocated < 4L * NUMEL / 2,
                        "a load allocated " + allocated + " bytes on the heap; one state tensor is " + 4L * NUMEL);
                for (ShardedAdamW.State s : ShardedAdamW.State.values()) {
                    float[] back = new float[NUMEL];
                    resumed.read(s, 0, back, 0, NUMEL);
                    assertArrayEquals(values[s.ordinal()], back, s.name());
                }
            }
        }
    }
}
