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

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A resume reads its optimizer range from the verified chunks straight into the state's memory. */
class RankCheckpointLoadTest {
    private static final int NUMEL = 300_000;
    private static final long STEP = 5;

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
