package dev.zerospark.zero;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.zerospark.flat.Chunks;
import dev.zerospark.flat.FlatFloats;
import dev.zerospark.optim.AdamWConfig;
import dev.zerospark.optim.NativeAdamW;
import dev.zerospark.zero.internal.TensorAdamW;
import dev.zerospark.zero.internal.Tensors;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * AdamW state for one range of the flat buffer (a rank's shard in ZeRO stages 1 and 2, everything in stage 0):
 * fp32 master weights, exp_avg and exp_avg_sq for that range only, as libtorch tensors on one device (the rank's,
 * or the host with {@code offload_optimizer}). Each piece of the range is updated on views with its parameter's
 * decay flag, so the result is bitwise that of per-parameter AdamW: by {@link TensorAdamW}'s tensor ops on a GPU,
 * by one fused pass over the tensors' own memory ({@link NativeAdamW}) on the CPU, with the same bits. Padding elements are never
 * touched. Offsets and lengths are 64-bit; the host sees the state only in bounded chunks.
 */
public final class ShardedAdamW implements AutoCloseable {
    /** The three tensors of the state, as checkpoints name them. */
    public enum State { MASTER, EXP_AVG, EXP_AVG_SQ }

    /** Elements one task of the fused CPU pass takes: small enough to share the work out evenly between threads. */
    private static final long PARALLEL_PART = 1L << 18;

    private final AdamWConfig config;
    private final long offset;
    private final long length;
    private final List<PartitionLayout.Piece> pieces;
    private final boolean[] decay;
    private final NDManager manager;
    private final NDArray[] state;
    /** Run AdamW as a chain of tensor ops (any device) instead of the fused pass over CPU memory. */
    private final boolean tensorOps;

    private ShardedAdamW(AdamWConfig config, long offset, long length, List<PartitionLayout.Piece> pieces,
                         boolean[] decay, NDManager manager, NDArray[] state, boolean tensorOps) {
        this.config = config;
        this.offset = offset;
        this.length = length;
        this.pieces = pieces;
        this.decay = decay;
        this.manager = manager;
        this.state = state;
        this.tensorOps = tensorOps;
    }

    /**
     * Zeroed state for flat elements {@code [offset, offset + length)} of {@code layout}, allocated in a sub-manager
     * of {@code parent} (on its device) that {@link #close()} frees.
     */
    public static ShardedAdamW forRange(PartitionLayout layout, long offset, long length, AdamWConfig config,
                                        NDManager parent) {
        return forRange(layout, offset, length, config, parent, !parent.getDevice().equals(Device.cpu()));
    }

    /** As above; {@code tensorOps} forces the tensor-op kernel on the CPU too (tests compare the two). */
    static ShardedAdamW forRange(PartitionLayout layout, long offset, long length, AdamWConfig config,
                                 NDManager parent, boolean tensorOps) {
        if (offset < 0 || length < 0 || offset > layout.paddedNumel() - length) {
            throw new IllegalArgumentException("range [" + offset + ", +" + length + ") is outside " + layout);
        }
        List<PartitionLayout.Piece> pieces = layout.pieces(offset, length);
        boolean[] decay = new boolean[pieces.size()];
        for (int i = 0; i < pieces.size(); i++) {
            decay[i] = layout.params().get(pieces.get(i).param()).decay();
        }
        NDManager manager = parent.newSubManager();
        NDArray[] state = new NDArray[State.values().length];
        for (State s : State.values()) {
            state[s.ordinal()] = Tensors.zeros(manager, length);
        }
        return new ShardedAdamW(config, offset, length, pieces, decay, manager, state, tensorOps);
    }

    /** State for rank {@code rank}'s shard. */
    public static ShardedAdamW forShard(PartitionLayout layout, int rank, AdamWConfig config, NDManager parent) {
        return forRange(layout, layout.shardOffset(rank), layout.shardSize(), config, parent);
    }

    /** State for the whole buffer, as every rank holds it in stage 0. */
    public static ShardedAdamW full(PartitionLayout layout, AdamWConfig config, NDManager parent) {
        return forRange(layout, 0, layout.paddedNumel(), config, parent);
    }

    /** Where this range starts in the flat buffer (64-bit). */
    public long rangeOffset() {
        return offset;
    }

    public long length() {
        return length;
    }

    /** The parameter pieces of the range, in buffer order. */
    public List<PartitionLayout.Piece> pieces() {
        return pieces;
    }

    /** The flat tensor of {@code s} ({@link #length()} elements on the state's device); owned by this object. */
    public NDArray tensor(State s) {
        return state[s.ordinal()];
    }

    public NDArray master() {
        return tensor(State.MASTER);
    }

    /** Bytes of the three state tensors. */
    public long bytes() {
        return 3 * 4 * length;
    }

    /** Copies elements {@code [from, from + n)} of this range's {@code s} into {@code dst[off..]} (bounded staging). */
    public void read(State s, long from, float[] dst, int off, int n) {
        Tensors.read(tensor(s), from, dst, off, n);
    }

    /** Copies {@code src[off, off + n)} into elements {@code [at, at + n)} of this range's {@code s}. */
    public void write(State s, long at, float[] src, int off, int n) {
        Tensors.write(tensor(s), at, src, off, n);
    }

    /**
     * Fills elements {@code [at, at + n)} of this range's {@code s}: {@code fill} puts the {@code n} values, as
     * {@code 4 n} little-endian bytes, into the buffer it is given (on the CPU the state's own memory, so a resume
     * reads each value from the file straight into place; see {@link Tensors#fill}).
     */
    public void fill(State s, long at, int n, java.util.function.Consumer<java.nio.ByteBuffer> fill) {
        if (at < 0 || n < 0 || at > length - n) {
            throw new IndexOutOfBoundsException("elements [" + at + ", +" + n + ") are outside a range of " + length);
        }
        Tensors.fill(tensor(s), at, n, fill);
    }

    /** Copies this range of a flat parameter buffer into the master weights, chunk by chunk. */
    public void loadMaster(FlatFloats params) {
        float[] buf = new float[(int) Math.min(Tensors.CHUNK, Math.max(1, length))];
        Chunks chunks = new Chunks(length, buf.length);
        for (long c = 0; c < chunks.count(); c++) {
            params.get(offset + chunks.start(c), buf, 0, chunks.length(c));
            write(State.MASTER, chunks.start(c), buf, 0, chunks.length(c));
        }
    }

    /** Copies the master weights into this range of a flat parameter buffer, chunk by chunk. */
    public void storeMaster(FlatFloats params) {
        float[] buf = new float[(int) Math.min(Tensors.CHUNK, Math.max(1, length))];
        Chunks chunks = new Chunks(length, buf.length);
        for (long c = 0; c < chunks.count(); c++) {
            read(State.MASTER, chunks.start(c), buf, 0, chunks.length(c));
            params.put(offset + chunks.start(c), buf, 0, chunks.length(c));
        }
    }

    /**
     * One AdamW update of the range.
     *
     * @param grad this range's gradients, flat ({@link #length()} elements), on the state's device
     * @param step 1-based optimizer step after this update
     */
    public void step(NDArray grad, long step, double lr) {
        checkGradient(grad);
        if (!tensorOps) {
            fusedStep(grad, step, lr, 1f, null);
            return;
        }
        for (int i = 0; i < pieces.size(); i++) {
            PartitionLayout.Piece p = pieces.get(i);
            long local = p.flatOffset() - offset;
            // One scope per piece: its temporaries (a few piece-sized tensors) go before the next piece's.
            try (NDManager scope = manager.newSubManager()) {
                NDArray w = Tensors.slice(master(), local, p.length(), scope);
                NDArray g = Tensors.slice(grad, local, p.length(), scope);
                NDArray m = Tensors.slice(tensor(State.EXP_AVG), local, p.length(), scope);
                NDArray v = Tensors.slice(tensor(State.EXP_AVG_SQ), local, p.length(), scope);
                TensorAdamW.update(w, g, m, v, step, lr, config, decay[i]);
            }
        }
    }

    /** Where {@link #step(NDArray, long, double, float, WeightViews)} also writes the new weights. */
    @FunctionalInterface
    public interface WeightViews {
        /**
         * The model's own fp32 weights of elements {@code [from, from + n)} of {@code piece}, as a direct buffer over
         * their memory (native order).
         */
        ByteBuffer of(PartitionLayout.Piece piece, long from, int n);
    }

    /** Whether the update runs on host memory, in one pass ({@link NativeAdamW}), and so can take {@link WeightViews}. */
    public boolean updatesOnHost() {
        return !tensorOps;
    }

    /**
     * As {@link #step(NDArray, long, double)} on the host ({@link #updatesOnHost()}), with the gradients multiplied
     * by {@code gradScale} in the same pass (the clipping coefficient: the bits a separate in-place multiply gives),
     * and the new weights written into the model's memory through {@code weights} as they are computed: one pass
     * where the update, the clipping multiply and the write-back took three (bench train-step: about 1 + 3-6 ms of a
     * 240 ms step).
     */
    public void step(NDArray grad, long step, double lr, float gradScale, WeightViews weights) {
        if (tensorOps) throw new IllegalStateException("the fused host update is not used on " + master().getDevice());
        checkGradient(grad);
        fusedStep(grad, step, lr, gradScale, weights);
    }

    private void checkGradient(NDArray grad) {
        if (grad.size() != length) {
            throw new IllegalArgumentException("AdamW range [" + offset + ", +" + length + ") got a gradient of "
                    + grad.size() + " elements");
        }
    }

    /**
     * On the CPU the state is host memory: one fused pass over it ({@link NativeAdamW}), same expressions and bits.
     * The update is elementwise, so the range is cut into parts (at most {@link #PARALLEL_PART} elements, which
     * one direct buffer can always address) that libtorch's intra-op thread count of workers update side by side,
     * as torch.optim.AdamW's own kernels run on that many threads: a single Java thread left the step's other core
     * idle for the whole update (bench train-step, 2 threads: 4-8 ms on one thread, 4-5 ms on two).
     */
    private void fusedStep(NDArray grad, long step, double lr, float gradScale, WeightViews weights) {
        try (NDManager scope = manager.newSubManager()) {
            List<Runnable> parts = new ArrayList<>();
            for (int i = 0; i < pieces.size(); i++) {
                PartitionLayout.Piece p = pieces.get(i);
                long local = p.flatOffset() - offset;
                boolean decayed = decay[i];
                for (long done = 0; done < p.length(); done += PARALLEL_PART) {
                    int n = (int) Math.min(PARALLEL_PART, p.length() - done);
                    ByteBuffer w = Tensors.slice(master(), local + done, n, scope).toByteBuffer(true);
                    ByteBuffer g = Tensors.slice(grad, local + done, n, scope).toByteBuffer(true);
                    ByteBuffer m = Tensors.slice(tensor(State.EXP_AVG), local + done, n, scope)
                            .toByteBuffer(true);
                    ByteBuffer v = Tensors.slice(tensor(State.EXP_AVG_SQ), local + done, n, scope)
                            .toByteBuffer(true);
                    ByteBuffer out = weights == null ? null : weights.of(p, done, n);
                    parts.add(() -> NativeAdamW.update(w, g, m, v, n, step, lr, config, decayed, gradScale, out));
                }
            }
            int workers = Math.max(1, Math.min(JniUtils.getNumThreads(), parts.size()));
            // worker k takes parts k, k + workers, ...: the joined parallel stream returns when all are done
            IntStream.range(0, workers).parallel().forEach(k -> {
                for (int j = k; j < parts.size(); j += workers) {
                    parts.get(j).run();
                }
            });
        }
    }

    /** Frees the state tensors. */
    @Override
    public void close() {
        manager.close();
    }
}
