package dev.zerospark.checkpoint;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.zerospark.checkpoint.internal.SafetensorsStream;
import dev.zerospark.training.data.DataCursor;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A resume reads each parameter from where the manifest's recorded layout put it, not from where the resuming
 * model's own layout would: here the checkpoint was cut with padding between parameters (as a bucketed or aligned
 * layout would), which today's packed layout of the same model does not have.
 */
class ReshardLayoutTest {
    private static final long STEP = 3;
    private static final int OLD_WORLD = 2;
    /** Recorded: a at 0, one element of padding, b at 16, padding, c at 32; 40 elements, 20 per shard. */
    private static final Layout RECORDED = new Layout(OLD_WORLD, 39, 40, 20, 8, List.of(
            new Layout.Param("a", 0, 15, true, new long[] {3, 5}),
            new Layout.Param("b", 16, 10, false, new long[] {10}),
            new Layout.Param("c", 32, 7, true, new long[] {7})));
    /** The same model packed without gaps, as the resuming run lays it out (world size 3). */
    private static final Layout MODEL = new Layout(3, 32, 33, 11, 1, List.of(
            new Layout.Param("a", 0, 15, true, new long[] {3, 5}),
            new Layout.Param("b", 15, 10, false, new long[] {10}),
            new Layout.Param("c", 25, 7, true, new long[] {7})));

    /** The value each tensor holds at recorded flat element {@code i}; padding holds NaN, which no read may return. */
    private static float recorded(String tensor, int i) {
        for (Layout.Param p : RECORDED.params()) {
            if (i >= p.offset() && i < p.offset() + p.numel()) return tensor.length() * 1000f + i;
        }
        return Float.NaN;
    }

    private static Manifest saveStep(CheckpointStore store, Layout layout) {
        Map<String, Manifest.FileEntry> files = new HashMap<>();
        int shard = (int) RECORDED.shardSize();
        for (int r = 0; r < OLD_WORLD; r++) {
            List<String> names = List.of(OptimizerShards.MASTER, OptimizerShards.EXP_AVG, OptimizerShards.EXP_AVG_SQ);
            float[][] state = new float[3][shard];
            for (int t = 0; t < 3; t++) for (int i = 0; i < shard; i++) state[t][i] = recorded(names.get(t), r * shard + i);
            List<SafetensorsStream.Tensor> tensors = List.of(
                    SafetensorsStream.Tensor.i64(OptimizerShards.RANGE, new long[] {(long) r * shard, shard, STEP}),
                    SafetensorsStream.Tensor.f32(OptimizerShards.MASTER, state[0]),
                    SafetensorsStream.Tensor.f32(OptimizerShards.EXP_AVG, state[1]),
                    SafetensorsStream.Tensor.f32(OptimizerShards.EXP_AVG_SQ, state[2]));
            String name = OptimizerShards.fileName(r);
            files.put(name, store.write(STEP, name, out -> SafetensorsStream.write(out, tensors)));
        }
        store.commit(new Manifest(STEP, "run", OLD_WORLD, 2, files, layout, JsonNodeFactory.instance.objectNode(),
                new DataCursor("t", 0, 0, 0, 0, null, null), null), new CheckpointStore.Retention(0, -1));
        return store.manifest(STEP);
    }

    private static CheckpointStore store(Path dir) {
        return new CheckpointStore(dir.toUri() + "ckpt", new Configuration(), 64);
    }

    /** What the model's flat elements [from, from + count) must hold: each parameter's recorded values. */
    private static float[] expected(String tensor, int from, int count) {
        float[] out = new float[count];
        for (int i = 0; i < count; i++) {
            int flat = from + i;
            for (int k = 0; k < MODEL.params().size(); k++) {
                Layout.Param p = MODEL.params().get(k);
                if (flat >= p.offset() && flat < p.offset() + p.numel()) {
                    out[i] = recorded(tensor, (int) (RECORDED.params().get(k).offset() + flat - p.offset()));
                }
            }
        }
        return out;
    }

    @Test
    void aResumeAtAnotherWorldSizeReadsEachParameterFromTheRecordedLayout(@TempDir Path dir) {
        CheckpointStore store = store(dir);
        Manifest m = saveStep(store, RECORDED);
        try (OptimizerShards shards = OptimizerShards.openFor(store, m, MODEL)) {
            for (String t : List.of(OptimizerShards.MASTER, OptimizerShards.EXP_AVG, OptimizerShards.EXP_AVG_SQ)) {
                // Each of the 3 new ranks' shards: they start mid-parameter and cross the recorded padding.
                for (int rank = 0; rank < 3; rank++) {
                    int from = rank * 11;
                    int count = (int) Math.min(11, MODEL.numel() - from);
                    float[] got = new float[count];
                    shards.read(t, from, got, 0, count);
                    assertArrayEquals(expected(t, from, count), got, t + " rank " + rank);
                }
            }
        }
    }

    @Test
    void aRecordedLayoutThatDoesNotFitTheModelFailsNamingTheStepAndParameter(@TempDir Path dir) {
        CheckpointStore store = store(dir);
        Manifest m = saveStep(store, RECORDED);
        Layout otherShape = new Layout(1, 32, 32, 32, 1, List.of(
                new Layout.Param("a", 0, 15, true, new long[] {5, 3}),
                new Layout.Param("b", 15, 10, false, new long[] {10}),
                new Layout.Param("c", 25, 7, true, new long[] {7})));
        LayoutMismatchException e = assertThrows(LayoutMismatchException.class, () -> OptimizerShards.openFor(store, m, otherShape));
        assertTrue(e.getMessage().contains(store.stepUri(STEP)) && e.getMessage().contains("'a'")
                && e.getMessage().contains("[3, 5]"), e.getMessage());
        Layout missing = new Layout(1, 25, 25, 25, 1, List.of(
                new Layout.Param("a", 0, 15, true, new long[] {3, 5}),
                new Layout.Param("d", 15, 10, false, new long[] {10})));
        e = assertThrows(LayoutMismatchException.class, () -> OptimizerShards.openFor(store, m, missing));
        assertTrue(e.getMessage().contains(store.stepUri(STEP)) && e.getMessage().contains("'d'"), e.getMessage());
        Layout fewer = new Layout(1, 25, 25, 25, 1, List.of(
                new Layout.Param("a", 0, 15, true, new long[] {3, 5}),
                new Layout.Param("b", 15, 10, false, new long[] {10})));
        e = assertThrows(LayoutMismatchException.class, () -> OptimizerShards.openFor(store, m, fewer));
        assertTrue(e.getMessage().contains("[c]"), e.getMessage());
    }
}
