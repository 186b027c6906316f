package dev.zerospark.training;

import dev.zerospark.checkpoint.CheckpointStore;
import dev.zerospark.checkpoint.Manifest;
import dev.zerospark.safetensors.SafetensorsFile;
import dev.zerospark.safetensors.SafetensorsWriter;
import dev.zerospark.safetensors.WritableTensor;
import dev.zerospark.train.ParamSpec;
import dev.zerospark.zero.ShardedAdamW;
import dev.zerospark.zero.ZeroOptimizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One rank's part of a checkpoint step. Every rank writes its optimizer shard ({@code optim-rank<r>}: fp32 master
 * weights, exp_avg, exp_avg_sq for its range of the flat buffer) and its share of the model weights
 * ({@code model-rank<r>}: the parameters whose index is r modulo the world size, in HF names and shapes), so
 * weights are written by all ranks in parallel. On load, the shards of any world size are reassembled into full
 * flat vectors, which is what lets a run resume with a different number of ranks.
 */
final class RankCheckpoint {
    static final String MODEL_CONFIG = "model-config.json";

    private RankCheckpoint() {}

    static String optimFile(int rank) {
        return "optim-rank" + rank + ".safetensors";
    }

    static String modelFile(int rank) {
        return "model-rank" + rank + ".safetensors";
    }

    /** Writes this rank's files for {@code step}; returns their manifest entries. */
    static Map<String, Manifest.FileEntry> save(CheckpointStore store, long step, int rank, int worldSize,
                                                ShardedAdamW adam, List<ParamSpec> specs, float[] params,
                                                String modelConfigJson) throws IOException {
        Map<String, Manifest.FileEntry> files = new LinkedHashMap<>();
        int n = adam.length();
        List<WritableTensor> optim = List.of(
                WritableTensor.i64("range", new long[] {3}, new long[] {adam.offset(), n, step}),
                WritableTensor.f32("master", new long[] {n}, adam.master()),
                WritableTensor.f32("exp_avg", new long[] {n}, adam.expAvg()),
                WritableTensor.f32("exp_avg_sq", new long[] {n}, adam.expAvgSq()));
        files.put(optimFile(rank), writeSafetensors(store, step, optimFile(rank), optim));

        List<WritableTensor> weights = new ArrayList<>();
        for (int i = rank; i < specs.size(); i += worldSize) {
            ParamSpec s = specs.get(i);
            int off = Math.toIntExact(s.offset());
            weights.add(WritableTensor.f32(s.name(), s.shape(), Arrays.copyOfRange(params, off, off + Math.toIntExact(s.numel()))));
        }
        files.put(modelFile(rank), writeSafetensors(store, step, modelFile(rank), weights));
        if (rank == 0) {
            byte[] json = modelConfigJson.getBytes(StandardCharsets.UTF_8);
            files.put(MODEL_CONFIG, store.write(step, MODEL_CONFIG, out -> out.write(json)));
        }
        return files;
    }

    /** Full flat optimizer state (unpadded, {@code numel} long) reassembled from every shard of a checkpoint. */
    record FullState(float[] master, float[] expAvg, float[] expAvgSq, long step) {}

    static FullState loadFull(CheckpointStore store, Manifest manifest, int numel) throws IOException {
        float[] master = new float[numel];
        float[] m = new float[numel];
        float[] v = new float[numel];
        long step = -1;
        for (int r = 0; r < manifest.worldSize(); r++) {
            Path local = localCopy(store, manifest.step(), optimFile(r));
            try (SafetensorsFile f = SafetensorsFile.open(local)) {
                long[] range = f.readLongs("range");
                int offset = Math.toIntExact(range[0]);
                int length = Math.toIntExact(range[1]);
                step = range[2];
                int usable = Math.max(0, Math.min(length, numel - offset)); // padding past numel is dropped
                System.arraycopy(f.readFloats("master"), 0, master, offset, usable);
                System.arraycopy(f.readFloats("exp_avg"), 0, m, offset, usable);
                System.arraycopy(f.readFloats("exp_avg_sq"), 0, v, offset, usable);
            } finally {
                Files.deleteIfExists(local);
            }
        }
        return new FullState(master, m, v, step);
    }

    /** Loads this rank's range of the full state into its optimizer (every rank must call it: it all-gathers). */
    static void restore(ZeroOptimizer zero, FullState full) {
        ShardedAdamW adam = zero.adam();
        int numel = full.master().length;
        int usable = Math.max(0, Math.min(adam.length(), numel - adam.offset()));
        float[] master = new float[adam.length()];
        float[] m = new float[adam.length()];
        float[] v = new float[adam.length()];
        System.arraycopy(full.master(), adam.offset(), master, 0, usable);
        System.arraycopy(full.expAvg(), adam.offset(), m, 0, usable);
        System.arraycopy(full.expAvgSq(), adam.offset(), v, 0, usable);
        zero.restore(full.step(), master, m, v);
    }

    /** All model weights of a checkpoint, by HF name. */
    static Map<String, float[]> loadWeights(CheckpointStore store, Manifest manifest) throws IOException {
        Map<String, float[]> weights = new LinkedHashMap<>();
        for (int r = 0; r < manifest.worldSize(); r++) {
            Path local = localCopy(store, manifest.step(), modelFile(r));
            try (SafetensorsFile f = SafetensorsFile.open(local)) {
                for (String name : f.names()) weights.put(name, f.readFloats(name));
            } finally {
                Files.deleteIfExists(local);
            }
        }
        return weights;
    }

    static String modelConfig(CheckpointStore store, long step) throws IOException {
        try (InputStream in = store.open(step, MODEL_CONFIG)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Manifest.FileEntry writeSafetensors(CheckpointStore store, long step, String name,
                                                       List<WritableTensor> tensors) throws IOException {
        Path tmp = Files.createTempFile("zs-ckpt", ".safetensors");
        try {
            SafetensorsWriter.write(tmp, tensors, Map.of("format", "pt"));
            return store.write(step, name, out -> Files.copy(tmp, out));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static Path localCopy(CheckpointStore store, long step, String name) throws IOException {
        Path tmp = Files.createTempFile("zs-ckpt-read", ".safetensors");
        try (InputStream in = store.open(step, name)) {
            Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return tmp;
    }
}
