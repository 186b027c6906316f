package dev.zerospark.zero;

import dev.zerospark.flat.FlatFloats;
import dev.zerospark.optim.AdamW;
import dev.zerospark.optim.AdamWConfig;
import dev.zerospark.train.TrainableModels;

import java.util.List;

/**
 * AdamW state for one range of the flat buffer (a rank's shard in ZeRO stages 1 and 2, everything in stage 0):
 * fp32 master weights, exp_avg and exp_avg_sq for that range only. Each piece of the range is updated with the
 * shared {@link AdamW} kernel and its parameter's decay flag, so the result is bitwise that of per-parameter
 * AdamW. Padding elements are never touched. The range may lie anywhere in a buffer of any size (64-bit
 * offsets); only its own length is bounded by one Java array.
 */
public final class ShardedAdamW {
    private final AdamWConfig config;
    private final long offset;
    private final List<PartitionLayout.Piece> pieces;
    private final boolean[] decay;
    private final float[] master;
    private final float[] expAvg;
    private final float[] expAvgSq;

    private ShardedAdamW(AdamWConfig config, long offset, List<PartitionLayout.Piece> pieces, boolean[] decay,
                         int length) {
        this.config = config;
        this.offset = offset;
        this.pieces = pieces;
        this.decay = decay;
        this.master = new float[length];
        this.expAvg = new float[length];
        this.expAvgSq = new float[length];
    }

    /** State for flat elements {@code [offset, offset + length)} of {@code layout}, all zero. */
    public static ShardedAdamW forRange(PartitionLayout layout, long offset, long length, AdamWConfig config) {
        if (offset < 0 || length < 0 || offset > layout.paddedNumel() - length) {
            throw new IllegalArgumentException("range [" + offset + ", +" + length + ") is outside " + layout);
        }
        int arrayLength = TrainableModels.flatArrayLength("AdamW state of range [" + offset + ", +" + length
                + ") of " + layout, length);
        List<PartitionLayout.Piece> pieces = layout.pieces(offset, length);
        boolean[] decay = new boolean[pieces.size()];
        for (int i = 0; i < pieces.size(); i++) {
            decay[i] = layout.params().get(pieces.get(i).param()).decay();
        }
        return new ShardedAdamW(config, offset, pieces, decay, arrayLength);
    }

    /** State for rank {@code rank}'s shard. */
    public static ShardedAdamW forShard(PartitionLayout layout, int rank, AdamWConfig config) {
        return forRange(layout, layout.shardOffset(rank), layout.shardSize(), config);
    }

    /** State for the whole buffer, as every rank holds it in stage 0. */
    public static ShardedAdamW full(PartitionLayout layout, AdamWConfig config) {
        return forRange(layout, 0, layout.paddedNumel(), config);
    }

    /** Where this range starts in the flat buffer (64-bit). */
    public long rangeOffset() {
        return offset;
    }

    /**
     * {@link #rangeOffset()} for callers that index one full {@code float[]} buffer, where it fits an int by
     * construction; fails clearly otherwise.
     */
    public int offset() {
        return TrainableModels.flatArrayLength("the start of AdamW range [" + offset + ", +" + length() + ")", offset);
    }

    public int length() {
        return master.length;
    }

    /** Copies this range of the full flat parameter buffer into the master weights. */
    public void loadMaster(float[] params) {
        loadMaster(FlatFloats.wrap(params));
    }

    public void loadMaster(FlatFloats params) {
        params.get(offset, master, 0, master.length);
    }

    /** Copies the master weights into this range of the full flat parameter buffer. */
    public void storeMaster(float[] params) {
        storeMaster(FlatFloats.wrap(params));
    }

    public void storeMaster(FlatFloats params) {
        params.put(offset, master, 0, master.length);
    }

    /**
     * One AdamW update of the range.
     *
     * @param grad gradients of this range start at {@code grad[gradOffset]}
     * @param step 1-based optimizer step after this update
     */
    public void step(float[] grad, int gradOffset, long step, double lr) {
        for (int i = 0; i < pieces.size(); i++) {
            PartitionLayout.Piece p = pieces.get(i);
            int local = (int) (p.flatOffset() - offset); // inside this range, which fits one array
            AdamW.update(master, local, grad, gradOffset + local, expAvg, expAvgSq, local, (int) p.length(), step, lr,
                    config, decay[i]);
        }
    }

    /** Replaces the whole state, e.g. from a sharded checkpoint written by the same rank of the same layout. */
    public void restore(float[] master, float[] expAvg, float[] expAvgSq) {
        if (master.length != length() || expAvg.length != length() || expAvgSq.length != length()) {
            throw new IllegalArgumentException("optimizer state for range [" + offset + ", +" + length()
                    + ") needs " + length() + " elements each, got master " + master.length + ", exp_avg "
                    + expAvg.length + ", exp_avg_sq " + expAvgSq.length);
        }
        System.arraycopy(master, 0, this.master, 0, length());
        System.arraycopy(expAvg, 0, this.expAvg, 0, length());
        System.arraycopy(expAvgSq, 0, this.expAvgSq, 0, length());
    }

    public float[] master() {
        return master;
    }

    public float[] expAvg() {
        return expAvg;
    }

    public float[] expAvgSq() {
        return expAvgSq;
    }
}
