package dev.zerospark.checkpoint;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.zerospark.checkpoint.internal.SafetensorsStream;
import dev.zerospark.training.data.DataCursor;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a resume costs the store in calls, not only bytes: at checkpoint sizes a rank's load is dominated by its
 * per-file costs (opens, stats), so they are counted on a checksummed local filesystem like {@code file://}.
 */
class CheckpointReadCallsTest {
    private static final int WORLD = 2;
    private static final int SHARD = 3000;
    private static final long STEP = 3;

    private static CheckpointStore checksummedStore(Path dir) {
        Configuration conf = new Configuration();
        conf.set("fs.countfs.impl", CountingChecksumFileSystem.class.getName());
        conf.setBoolean("fs.countfs.impl.disable.cache", true);
        return new CheckpointStore("countfs://" + dir.toUri().getPath() + "ckpt", conf, 4096);
    }

    private static float value(int tensor, long element) {
        return tensor * 1_000_000f + element;
    }

    private static Manifest saveStep(CheckpointStore store) {
        Map<String, Manifest.FileEntry> files = new HashMap<>();
        for (int r = 0; r < WORLD; r++) {
            float[][] state = new float[3][SHARD];
            for (int t = 0; t < 3; t++) for (int i = 0; i < SHARD; i++) state[t][i] = value(t, (long) r * SHARD + i);
            List<SafetensorsStream.Tensor> tensors = List.of(
                    SafetensorsStream.Tensor.i64(OptimizerShards.RANGE, new long[] {(long) r * SHARD, SHARD, STEP}),
                    SafetensorsStream.Tensor.f32(OptimizerShards.MASTER, state[0]),
                    SafetensorsStream.Tensor.f32(OptimizerShards.EXP_AVG, state[1]),
                    SafetensorsStream.Tensor.f32(OptimizerShards.EXP_AVG_SQ, state[2]));
            String name = OptimizerShards.fileName(r);
            files.put(name, store.write(STEP, name, out -> SafetensorsStream.write(out, tensors)));
        }
        Layout layout = new Layout(WORLD, WORLD * SHARD, WORLD * SHARD, SHARD, 4, List.of(
                new Layout.Param("w", 0, WORLD * SHARD, true, new long[] {WORLD * SHARD})));
        Manifest m = new Manifest(STEP, "run", WORLD, 2, files, layout, JsonNodeFactory.instance.objectNode(),
                new DataCursor("t", 0, 0, 0, 0, null, null), null);
        store.commit(m, new CheckpointStore.Retention(0, -1));
        return store.manifest(STEP);
    }

    @Test
    void aResumeOpensItsOwnShardOnceAndNoChecksumSideFile(@TempDir Path dir) {
        CheckpointStore store = checksummedStore(dir);
        Manifest m = saveStep(store);
        String own = OptimizerShards.fileName(1);
        String sideFile = "." + own + ".crc";
        assertTrue(Files.exists(dir.resolve("ckpt/step-" + STEP + "/" + sideFile)),
                "the store is checksummed: writing left " + sideFile);
        CountingLocalFileSystem.reset();
        List<String> names = List.of(OptimizerShards.MASTER, OptimizerShards.EXP_AVG, OptimizerShards.EXP_AVG_SQ);
        try (OptimizerShards shards = OptimizerShards.open(store, m)) {
            for (int t = 0; t < 3; t++) {
                float[] got = new float[SHARD];
                shards.read(names.get(t), SHARD, got, 0, SHARD);
                float[] want = new float[SHARD];
                for (int i = 0; i < SHARD; i++) want[i] = value(t, SHARD + i);
                assertArrayEquals(want, got, names.get(t));
            }
            assertEquals(STEP, shards.step());
        }
        assertEquals(1, CountingLocalFileSystem.opens(own), "the own shard, opened once");
        assertEquals(m.files().get(own).bytes(), CountingLocalFileSystem.bytesRead(own), "each of its bytes read once");
        // Every chunk is checked against the manifest's CRC32Cs already: the side file would only check it twice.
        assertEquals(0, CountingLocalFileSystem.opens(sideFile), "the shard's .crc side file is not opened");
        assertEquals(0, CountingLocalFileSystem.opens(OptimizerShards.fileName(0)), "no other rank's shard is opened");
        // The size check, and the lookup the local filesystem's open makes itself.
        assertTrue(CountingLocalFileSystem.statuses(own) <= 2, "stat at most twice: " + CountingLocalFileSystem.statuses(own));
    }

    /**
     * {@code bench train}'s raw read, the baseline a load is held to, reads through the filesystem a load reads
     * through: the same bytes from one open of the shard, and no {@code .crc} side file (read through
     * {@code file://}'s checksummed filesystem it would time a second open and a CRC32 per 512 bytes a load skips).
     */
    @Test
    void anUnverifiedReadGoesThroughTheFilesystemVerifiedReadsUse(@TempDir Path dir) throws Exception {
        CheckpointStore store = checksummedStore(dir);
        Manifest m = saveStep(store);
        String own = OptimizerShards.fileName(1);
        CountingLocalFileSystem.reset();
        byte[] got;
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(store.stepUri(STEP) + "/" + own);
        try (var in = store.readFileSystem(STEP).open(p)) {
            got = in.readAllBytes();
        }
        assertArrayEquals(Files.readAllBytes(dir.resolve("ckpt/step-" + STEP + "/" + own)), got);
        assertEquals(1, CountingLocalFileSystem.opens(own), "the shard, opened once");
        assertEquals(0, CountingLocalFileSystem.opens("." + own + ".crc"), "the shard's .crc side file is not opened");
    }
}
