package dev.zerospark.checkpoint;

import dev.zerospark.checkpoint.internal.SafetensorsStream;
import dev.zerospark.zero.ShardedAdamW;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One rank's part of a checkpoint step. Every rank streams its optimizer shard ({@code optim-rank<r>}: fp32 master
 * weights, exp_avg, exp_avg_sq for its range of the flat buffer) straight to the store, hashed on the way. No
 * separate copy of the model is saved: the master weights are the fp32 weights, and export rebuilds each tensor
 * from them by the manifest's layout. On load, each rank reads only its own range of the flat state, from the
 * shards of whatever world size wrote them, which is what lets a run resume with a different number of ranks.
 */
public final class RankCheckpoint {
    public static final String MODEL_CONFIG = "model-config.json";
    /** Elements read into the optimizer's tensors at a time on resume (off the CPU: 4 MiB of staging). */
    private static final int LOAD_CHUNK = 1 << 20;

    private RankCheckpoint() {}

    public static String optimFile(int rank) {
        return OptimizerShards.fileName(rank);
    }

    /**
     * Writes this rank's files for {@code step}; returns their manifest entries. The shard's range tensor records
     * {@code appliedSteps}, the optimizer steps its state has had (AdamW's bias correction counts them), which is
     * fewer than {@code step} once fp16 skipped an overflowing step.
     */
    public static Map<String, Manifest.FileEntry> save(CheckpointStore store, long step, long appliedSteps, int rank,
                                                ShardedAdamW adam, String modelConfigJson) {
        Map<String, Manifest.FileEntry> files = new LinkedHashMap<>();
        // Streamed from the state tensors a bounded chunk at a time: no array of the shard's size.
        List<SafetensorsStream.Tensor> optim = List.of(
                SafetensorsStream.Tensor.i64(OptimizerShards.RANGE, new long[] {adam.rangeOffset(), adam.length(), appliedSteps}),
                stateTensor(OptimizerShards.MASTER, adam, ShardedAdamW.State.MASTER),
                stateTensor(OptimizerShards.EXP_AVG, adam, ShardedAdamW.State.EXP_AVG),
                stateTensor(OptimizerShards.EXP_AVG_SQ, adam, ShardedAdamW.State.EXP_AVG_SQ));
        files.put(optimFile(rank), store.write(step, optimFile(rank), out -> SafetensorsStream.write(out, optim)));
        if (rank == 0) {
            byte[] json = modelConfigJson.getBytes(StandardCharsets.UTF_8);
            files.put(MODEL_CONFIG, store.write(step, MODEL_CONFIG, out -> out.write(json)));
        }
        return files;
    }

    private static SafetensorsStream.Tensor stateTensor(String name, ShardedAdamW adam, ShardedAdamW.State state) {
        return SafetensorsStream.Tensor.f32(name, adam.length(), (from, dst, off, n) -> adam.read(state, from, dst, off, n));
    }

    /**
     * Reads this rank's range of the checkpoint's flat optimizer state into {@code adam}'s tensors, verified, a
     * bounded chunk at a time, reading nothing else but the shards' headers. {@code model} is the layout of the model
     * being resumed, whose flat coordinates {@code adam}'s range is in: each parameter is read from where the
     * manifest's recorded layout put it, whatever world size or padding that was. Elements past the model's numel
     * (the padding) stay zero. Returns the optimizer steps the checkpoint had applied.
     */
    public static long load(CheckpointStore store, Manifest manifest, Layout model, ShardedAdamW adam) {
        long usable = Math.max(0, Math.min(adam.length(), model.numel() - adam.rangeOffset()));
        try (OptimizerShards shards = OptimizerShards.openFor(store, manifest, model)) {
            for (ShardedAdamW.State state : ShardedAdamW.State.values()) {
                String name = switch (state) {
                    case MASTER -> OptimizerShards.MASTER;
                    case EXP_AVG -> OptimizerShards.EXP_AVG;
                    case EXP_AVG_SQ -> OptimizerShards.EXP_AVG_SQ;
                };
                for (long at = 0; at < usable; at += LOAD_CHUNK) {
                    int n = (int) Math.min(LOAD_CHUNK, usable - at);
                    long from = adam.rangeOffset() + at;
                    // Into the state's own memory: a local shard's chunks are read straight into it and verified there.
                    adam.fill(state, at, n, into -> shards.readBytes(name, from, into, n));
                }
            }
            return shards.step();
        }
    }

    public static String modelConfig(CheckpointStore store, Manifest manifest) {
        try (CheckpointFile f = store.openVerified(manifest, MODEL_CONFIG)) {
            return new String(f.readAll(), StandardCharsets.UTF_8);
        }
    }
}
