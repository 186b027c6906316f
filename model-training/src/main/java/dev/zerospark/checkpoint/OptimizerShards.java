package dev.zerospark.checkpoint;

import dev.zerospark.checkpoint.internal.SafetensorsStream;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;

/**
 * The optimizer shards of one checkpoint step ({@code optim-rank<r>.safetensors}: a {@code range} tensor
 * [offset, length, applied optimizer steps] and the fp32 {@code master}, {@code exp_avg} and {@code exp_avg_sq} of that flat range),
 * read as one flat buffer by range. Each read fetches only the chunks that hold the range, verified, from whichever
 * shard holds it: resuming at the same world size reads exactly the own shard, at another one the overlapping parts
 * of the others (plus their headers). A shard is opened on the first read that needs it, starting with the one the
 * recorded layout says holds the range (its own range tensor then confirms it), so a rank opens no shard it does
 * not read: on a remote store each open is requests, and with small shards the opens cost more than the reads.
 * The master weights are also the model's fp32 weights: export rebuilds every
 * tensor from them by the manifest's {@link Layout}. A resume reads in its own model's flat coordinates
 * ({@link #openFor}): each parameter comes from where the recorded layout put it, so a checkpoint cut with another
 * layout (other padding, alignment or order) resumes correctly, and one of another model fails naming the step.
 */
public final class OptimizerShards implements AutoCloseable {
    public static final String MASTER = "master";
    public static final String EXP_AVG = "exp_avg";
    public static final String EXP_AVG_SQ = "exp_avg_sq";
    public static final String RANGE = "range";

    private final CheckpointStore store;
    private final Manifest manifest;
    /** Shard {@code r} once it has been opened (header and range read), else null. */
    private final Shard[] shards;
    /** The model's parameters and, at the same index, the recorded one of the same name; null: recorded coordinates. */
    private final List<Layout.Param> model;
    private final List<Layout.Param> recorded;

    private record Shard(CheckpointFile file, Map<String, SafetensorsStream.Entry> tensors, long offset, long length, long step) {}

    private OptimizerShards(CheckpointStore store, Manifest manifest, List<Layout.Param> model, List<Layout.Param> recorded) {
        this.store = store;
        this.manifest = manifest;
        this.shards = new Shard[manifest.worldSize()];
        this.model = model;
        this.recorded = recorded;
    }

    public static String fileName(int rank) {
        return "optim-rank" + rank + ".safetensors";
    }

    /**
     * The shards of {@code manifest}'s step, each opened (its header and range read) when a read first needs it;
     * {@link #read} takes flat offsets of the recorded layout (what export rebuilds the weights by).
     */
    public static OptimizerShards open(CheckpointStore store, Manifest manifest) {
        return new OptimizerShards(store, manifest, null, null);
    }

    /**
     * Opens the shards to resume {@code model} (the layout of the model being resumed, at any world size): {@link #read}
     * takes flat offsets of {@code model}, and reads each parameter's elements from where the manifest's recorded
     * layout put that parameter. Elements of no parameter (padding) are not touched.
     *
     * @throws LayoutMismatchException when the recorded layout lacks a parameter of the model, has one the model
     *     lacks, or records another shape
     */
    public static OptimizerShards openFor(CheckpointStore store, Manifest manifest, Layout model) {
        List<Layout.Param> recorded = ManifestChecks.match(manifest.layout(), model, store.stepUri(manifest.step()));
        return new OptimizerShards(store, manifest, model.params(), recorded);
    }

    private Shard shard(int r) {
        if (shards[r] == null) shards[r] = openShard(fileName(r));
        return shards[r];
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

    /**
     * The optimizer steps the shards record as applied (from a shard already read, else shard 0), checked against
     * the manifest's {@code optimizer_steps} where it records them. Shards of older manifests hold the checkpoint's
     * step here, which is the applied steps of a run that skipped none.
     */
    public long step() {
        int r = 0;
        while (r < shards.length && shards[r] == null) r++;
        if (r == shards.length) r = 0;
        long recorded = shard(r).step();
        if (manifest.optimizerSteps() != null && recorded != manifest.optimizerSteps()) {
            throw CorruptCheckpointException.optimizerStepsMismatch(store.stepUri(manifest.step()), fileName(r),
                    recorded, manifest.optimizerSteps());
        }
        return recorded;
    }

    /**
     * Reads flat elements {@code [from, from + count)} of {@code tensor} ({@link #MASTER}, {@link #EXP_AVG},
     * {@link #EXP_AVG_SQ}) into {@code dst[off..]}, from the first shard holding each part; the offsets are the
     * recorded layout's, or the model's when opened with {@link #openFor}.
     */
    public void read(String tensor, long from, float[] dst, int off, int count) {
        read(tensor, from, FloatBuffer.wrap(dst), off, count);
    }

    /**
     * As {@link #read(String, long, float[], int, int)}, into {@code dst}'s elements {@code [off, off + count)}
     * (absolute indices): e.g. a view of a tensor's own memory, so each value is copied once, from the verified
     * chunk into place.
     */
    public void read(String tensor, long from, FloatBuffer dst, int off, int count) {
        forEachPiece(from, count, (s, local, at, n) -> SafetensorsStream.readFloats(s.file(), tensor, s.tensors().get(tensor),
                local, dst.duplicate().clear().position(off + at), n));
    }

    /**
     * As {@link #read(String, long, FloatBuffer, int, int)}, as {@code 4 count} little-endian bytes into {@code dst}
     * from its position on (which it advances): into a direct buffer, such as the optimizer state's own memory, a
     * local shard's chunks are read straight into place.
     */
    public void readBytes(String tensor, long from, ByteBuffer dst, int count) {
        int base = dst.position();
        forEachPiece(from, count, (s, local, at, n) -> SafetensorsStream.readFloatBytes(s.file(), tensor,
                s.tensors().get(tensor), local, dst.slice(base + 4 * at, 4 * n), n));
        dst.position(base + 4 * count);
    }

    /** One piece of a read: {@code n} elements of shard {@code s}'s tensor from its element {@code local}, to the read's element {@code at}. */
    @FunctionalInterface
    private interface Piece {
        void read(Shard s, long local, int at, int n);
    }

    /**
     * Splits the read of flat elements {@code [from, from + count)} into pieces, each within one shard: each
     * parameter's part of the range comes from where the recorded layout put it; runs that are contiguous on both
     * sides (all of them when the layouts agree) are read at once, so no chunk is fetched twice.
     */
    private void forEachPiece(long from, int count, Piece piece) {
        if (model == null) {
            recordedPieces(from, 0, count, piece);
            return;
        }
        long end = from + count;
        long runFrom = -1;
        long runSrc = -1;
        int runLen = 0;
        for (int i = 0; i < model.size(); i++) {
            Layout.Param p = model.get(i);
            long lo = Math.max(from, p.offset());
            long hi = Math.min(end, p.offset() + p.numel());
            if (hi <= lo) continue;
            long src = recorded.get(i).offset() + (lo - p.offset());
            if (runLen > 0 && runFrom + runLen == lo && runSrc + runLen == src) {
                runLen += (int) (hi - lo);
                continue;
            }
            if (runLen > 0) recordedPieces(runSrc, (int) (runFrom - from), runLen, piece);
            runFrom = lo;
            runSrc = src;
            runLen = (int) (hi - lo);
        }
        if (runLen > 0) recordedPieces(runSrc, (int) (runFrom - from), runLen, piece);
    }

    /** Recorded elements {@code [from, from + count)}, to the read's elements from {@code at}, one piece per shard. */
    private void recordedPieces(long from, int at, int count, Piece piece) {
        for (long pos = from, end = from + count; pos < end; ) {
            Shard s = holding(pos);
            int n = (int) (Math.min(end, s.offset() + s.length()) - pos);
            piece.read(s, pos - s.offset(), at + (int) (pos - from), n);
            pos += n;
        }
    }

    /**
     * The first shard holding flat element {@code element}. The recorded layout says which one that is (ZeRO stages
     * 1-2 cut {@code shard_size} elements per rank; stage 0 ranks all hold everything); that shard is tried first,
     * and only if its range tensor disagrees are the others opened in order.
     */
    private Shard holding(long element) {
        long size = manifest.layout().shardSize();
        long guess = manifest.zeroStage() > 0 && size > 0 ? element / size : 0;
        if (guess < shards.length && holds(shard((int) guess), element)) return shards[(int) guess];
        for (int r = 0; r < shards.length; r++) {
            if (holds(shard(r), element)) return shards[r];
        }
        throw new CorruptCheckpointException(store.stepUri(manifest.step()), null,
                "no optimizer shard holds flat element " + element);
    }

    private static boolean holds(Shard s, long element) {
        return element >= s.offset() && element < s.offset() + s.length();
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (Shard s : shards) {
            if (s == null) continue;
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
