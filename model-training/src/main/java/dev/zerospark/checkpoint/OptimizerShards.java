package dev.zerospark.checkpoint;

import dev.zerospark.checkpoint.internal.SafetensorsStream;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The optimizer shards of one checkpoint step ({@code optim-rank<r>.safetensors}: a {@code range} tensor
 * [offset, length, step] and the fp32 {@code master}, {@code exp_avg} and {@code exp_avg_sq} of that flat range),
 * read as one flat buffer by range. Each read fetches only the chunks that hold the range, verified, from whichever
 * shard holds it: resuming at the same world size reads exactly the own shard, at another one the overlapping parts
 * of the others (plus their headers). The master weights are also the model's fp32 weights: export rebuilds every
 * tensor from them by the manifest's {@link Layout}.
 */
public final class OptimizerShards implements AutoCloseable {
    public static final String MASTER = "master";
    public static final String EXP_AVG = "exp_avg";
    public static final String EXP_AVG_SQ = "exp_avg_sq";
    public static final String RANGE = "range";

    private final CheckpointStore store;
    private final Manifest manifest;
    private final List<Shard> shards = new ArrayList<>();

    private record Shard(CheckpointFile file, Map<String, SafetensorsStream.Entry> tensors, long offset, long length, long step) {}

    private OptimizerShards(CheckpointStore store, Manifest manifest) {
        this.store = store;
        this.manifest = manifest;
    }

    public static String fileName(int rank) {
        return "optim-rank" + rank + ".safetensors";
    }

    /** Opens every shard of {@code manifest}'s step, reading only their headers and ranges. */
    public static OptimizerShards open(CheckpointStore store, Manifest manifest) {
        OptimizerShards s = new OptimizerShards(store, manifest);
        try {
            for (int r = 0; r < manifest.worldSize(); r++) s.shards.add(s.openShard(fileName(r)));
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private Shard openShard(String name) {
        CheckpointFile f = store.openVerified(manifest, name);
        try {
            Map<String, SafetensorsStream.Entry> tensors = SafetensorsStream.header(f);
            for (String t : List.of(RANGE, MASTER, EXP_AVG, EXP_AVG_SQ)) {
                if (!tensors.containsKey(t)) throw new CheckpointException(f.uri() + ": optimizer shard has no tensor " + t);
            }
            long[] range = SafetensorsStream.readLongs(f, RANGE, tensors.get(RANGE));
            if (range.length != 3 || range[0] < 0 || range[1] < 0 || tensors.get(MASTER).elements() != range[1]) {
                throw new CheckpointException(f.uri() + ": optimizer shard range " + java.util.Arrays.toString(range)
                        + " does not match its master tensor (" + tensors.get(MASTER).elements() + " elements)");
            }
            return new Shard(f, tensors, range[0], range[1], range[2]);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** The optimizer steps the shards record as done. */
    public long step() {
        return shards.get(0).step();
    }

    /**
     * Reads flat elements {@code [from, from + count)} of {@code tensor} ({@link #MASTER}, {@link #EXP_AVG},
     * {@link #EXP_AVG_SQ}) into {@code dst[off..]}, from the first shard holding each part.
     */
    public void read(String tensor, long from, float[] dst, int off, int count) {
        long at = from;
        long end = from + count;
        while (at < end) {
            Shard s = holding(at);
            int n = (int) (Math.min(end, s.offset() + s.length()) - at);
            SafetensorsStream.readFloats(s.file(), tensor, s.tensors().get(tensor), at - s.offset(), dst, off + (int) (at - from), n);
            at += n;
        }
    }

    private Shard holding(long element) {
        for (Shard s : shards) {
            if (element >= s.offset() && element < s.offset() + s.length()) return s;
        }
        throw new CorruptCheckpointException(store.stepUri(manifest.step()), null,
                "no optimizer shard holds flat element " + element);
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (Shard s : shards) {
            try {
                s.file().close();
            } catch (RuntimeException e) {
                if (first == null) first = e;
                else first.addSuppressed(e);
            }
        }
        if (first != null) throw first;
    }
}
