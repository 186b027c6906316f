package dev.zerospark.training;

import dev.zerospark.checkpoint.CheckpointFile;
import dev.zerospark.checkpoint.CheckpointStore;
import dev.zerospark.checkpoint.Layout;
import dev.zerospark.checkpoint.Manifest;
import dev.zerospark.checkpoint.OptimizerShards;
import dev.zerospark.checkpoint.internal.SafetensorsStream;
import dev.zerospark.zero.ShardedAdamW;
import dev.zerospark.zero.ZeroOptimizer;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * One rank's part of a checkpoint step. Every rank streams its optimizer shard ({@code optim-rank<r>}: fp32 master
 * weights, exp_avg, exp_avg_sq for its range of the flat buffer) straight to the store, hashed on the way. No
 * separate copy of the model is saved: the master weights are the fp32 weights, and export rebuilds each tensor
 * from them by the manifest's layout. On load, each rank reads only its own range of the flat state, from the
 * shards of whatever world size wrote them, which is what lets a run resume with a different number of ranks.
 */
final class RankCheckpoint {
    static final String MODEL_CONFIG = "model-config.json";

    private RankCheckpoint() {}

    static String optimFile(int rank) {
        return OptimizerShards.fileName(rank);
    }

    /** Writes this rank's files for {@code step}; returns their manifest entries. */
    static Map<String, Manifest.FileEntry> save(CheckpointStore store, long step, int rank, ShardedAdamW adam,
                                                String modelConfigJson) {
        Map<String, Manifest.FileEntry> files = new LinkedHashMap<>();
        List<SafetensorsStream.Tensor> optim = List.of(
                SafetensorsStream.Tensor.i64(OptimizerShards.RANGE, new long[] {adam.rangeOffset(), adam.length(), step}),
                SafetensorsStream.Tensor.f32(OptimizerShards.MASTER, adam.master()),
                SafetensorsStream.Tensor.f32(OptimizerShards.EXP_AVG, adam.expAvg()),
                SafetensorsStream.Tensor.f32(OptimizerShards.EXP_AVG_SQ, adam.expAvgSq()));
        files.put(optimFile(rank), store.write(step, optimFile(rank), out -> SafetensorsStream.write(out, optim)));
        if (rank == 0) {
            byte[] json = modelConfigJson.getBytes(StandardCharsets.UTF_8);
            files.put(MODEL_CONFIG, store.write(step, MODEL_CONFIG, out -> out.write(json)));
        }
        return files;
    }

    /**
     * One rank's optimizer range {@code [offset, offset + length)} of a checkpoint (elements past {@code numel}, the
     * padding, are zero), and the optimizer steps done.
     */
    record OwnState(float[] master, float[] expAvg, float[] expAvgSq, long step) {}

    /**
     * Reads this rank's range of the flat state, verified, and nothing else but the shards' headers. {@code model} is
     * the layout of the model being resumed, whose flat coordinates {@code offset} is in: each parameter is read from
     * where the manifest's recorded layout put it, whatever world size or padding that was.
     */
    static OwnState load(CheckpointStore store, Manifest manifest, Layout model, long offset, int length) {
        float[] master = new float[length];
        float[] m = new float[length];
        float[] v = new float[length];
        int usable = (int) Math.max(0, Math.min(length, model.numel() - offset)); // padding past numel stays zero
        try (OptimizerShards shards = OptimizerShards.openFor(store, manifest, model)) {
            shards.read(OptimizerShards.MASTER, offset, master, 0, usable);
            shards.read(OptimizerShards.EXP_AVG, offset, m, 0, usable);
            shards.read(OptimizerShards.EXP_AVG_SQ, offset, v, 0, usable);
            return new OwnState(master, m, v, shards.step());
        }
    }

    /** Loads this rank's state into its optimizer (every rank must call it: it all-gathers the parameters). */
    static void restore(ZeroOptimizer zero, OwnState own) {
        zero.restore(own.step(), own.master(), own.expAvg(), own.expAvgSq());
    }

    /**
     * Rebuilds the model's weights from the master shards, one tensor at a time in layout order: {@code sink} gets
     * each parameter and its fp32 values, so at most one tensor is in memory here.
     */
    static void forEachWeight(CheckpointStore store, Manifest manifest, BiConsumer<Layout.Param, float[]> sink) {
        Layout layout = manifest.layout();
        try (OptimizerShards shards = OptimizerShards.open(store, manifest)) {
            for (Layout.Param p : layout.params()) {
                float[] values = new float[Math.toIntExact(p.numel())];
                shards.read(OptimizerShards.MASTER, p.offset(), values, 0, values.length);
                sink.accept(p, values);
            }
        }
    }

    /** All model weights of a checkpoint, by HF name (for writers that take the whole model at once). */
    static Map<String, float[]> loadWeights(CheckpointStore store, Manifest manifest) {
        Map<String, float[]> weights = new LinkedHashMap<>();
        forEachWeight(store, manifest, (p, values) -> weights.put(p.name(), values));
        return weights;
    }

    static String modelConfig(CheckpointStore store, Manifest manifest) {
        try (CheckpointFile f = store.openVerified(manifest, MODEL_CONFIG)) {
            return new String(f.readAll(), StandardCharsets.UTF_8);
        }
    }
}
