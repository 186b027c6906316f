package dev.zerospark.zero;

import dev.zerospark.collective.Collective;
import dev.zerospark.optim.AdamWConfig;
import dev.zerospark.train.GradientClipping;
import dev.zerospark.train.TrainableModels;

import java.util.Arrays;

/**
 * One rank's data-parallel optimizer with ZeRO stage 0, 1 or 2 semantics.
 *
 * <p>Per training step: for every micro-batch the model ADDs its (already 1/global-token-count scaled, and loss
 * scaled when fp16) gradients into {@link #gradients()}, then the caller calls {@link #accumulate()}; after the
 * last micro-batch, {@link #step(double)} reduces, checks overflow, unscales, clips by global norm, updates and
 * leaves the new full parameters in {@link #params()} on every rank.
 *
 * <pre>
 * stage 0: accumulate locally | all-reduce grads | full AdamW on every rank
 * stage 1: accumulate locally | all-reduce grads | AdamW on own shard | all-gather params
 * stage 2: reduce-scatter every micro-batch into the own gradient shard | AdamW on own shard | all-gather params
 * </pre>
 */
public final class ZeroOptimizer {
    /** What one step did. {@code gradNorm} is the global L2 norm before clipping (after unscaling). */
    public record StepResult(long step, boolean skipped, double gradNorm, float clipCoef, double lossScale) {}

    private final Collective collective;
    private final PartitionLayout layout;
    private final ZeroStage stage;
    private final GradientBuckets buckets;
    private final double maxGradNorm;
    private final DynamicLossScaler scaler;
    private final ShardedAdamW adam;
    private final float[] params;
    private final float[] grads;
    /** Stage 2: this rank's reduced gradient shard; otherwise null (the full buffer is reduced in place). */
    private final float[] gradShard;
    private long step;

    private ZeroOptimizer(Collective collective, PartitionLayout layout, ZeroStage stage, GradientBuckets buckets,
                          double maxGradNorm, DynamicLossScaler scaler, ShardedAdamW adam, float[] params,
                          float[] grads, float[] gradShard) {
        this.collective = collective;
        this.layout = layout;
        this.stage = stage;
        this.buckets = buckets;
        this.maxGradNorm = maxGradNorm;
        this.scaler = scaler;
        this.adam = adam;
        this.params = params;
        this.grads = grads;
        this.gradShard = gradShard;
    }

    /**
     * @param initialParams the unpadded flat parameters (length {@code layout.numel()}); every rank must pass the
     *     same values (load the same checkpoint, or broadcast first)
     * @param maxGradNorm clip the global gradient L2 norm to this; {@code <= 0} disables clipping
     * @param scaler fp16 dynamic loss scaler, or null when gradients are not loss-scaled
     */
    public static ZeroOptimizer create(Collective collective, PartitionLayout layout, ZeroStage stage,
                                       AdamWConfig config, double maxGradNorm, int bucketElements,
                                       DynamicLossScaler scaler, float[] initialParams) {
        if (layout.worldSize() != collective.worldSize()) {
            throw new IllegalArgumentException(layout + " is for " + layout.worldSize() + " ranks, the collective has "
                    + collective.worldSize());
        }
        if (initialParams.length != layout.numel()) {
            throw new IllegalArgumentException("initial parameters have " + initialParams.length
                    + " elements, the layout " + layout.numel());
        }
        // This optimizer keeps the full padded buffer in one array: the limit that remains here, named.
        int padded = TrainableModels.flatArrayLength("ZeroOptimizer's flat parameter buffer for " + layout,
                layout.paddedNumel());
        float[] params = Arrays.copyOf(initialParams, padded);
        ShardedAdamW adam = stage.partitionsOptimizer()
                ? ShardedAdamW.forShard(layout, collective.rank(), config)
                : ShardedAdamW.full(layout, config);
        adam.loadMaster(params);
        float[] gradShard = stage.partitionsGradients() ? new float[(int) layout.shardSize()] : null;
        return new ZeroOptimizer(collective, layout, stage, GradientBuckets.of(layout, bucketElements), maxGradNorm,
                scaler, adam, params, new float[padded], gradShard);
    }

    /** Full flat parameters (padded; the first {@code layout.numel()} are the model's). */
    public float[] params() {
        return params;
    }

    /** Full flat gradient buffer (padded) the model adds the current micro-batch's gradients into. */
    public float[] gradients() {
        return grads;
    }

    public PartitionLayout layout() {
        return layout;
    }

    public ZeroStage stage() {
        return stage;
    }

    /** Multiply the loss gradient by this in backward (1 without a loss scaler). */
    public double lossScale() {
        return scaler == null ? 1.0 : scaler.scale();
    }

    /** This rank's optimizer state (its shard in stages 1-2, everything in stage 0), for checkpoints. */
    public ShardedAdamW adam() {
        return adam;
    }

    /** Optimizer steps applied so far (skipped fp16 steps do not count). */
    public long stepsDone() {
        return step;
    }

    /**
     * Resumes from a checkpoint: restores this rank's optimizer state and step, then rebuilds the full parameters
     * from the master weights (an all-gather in stages 1-2, so every rank must call it).
     */
    public void restore(long stepsDone, float[] master, float[] expAvg, float[] expAvgSq) {
        if (stepsDone < 0) {
            throw new IllegalArgumentException("steps done must be >= 0, got " + stepsDone);
        }
        adam.restore(master, expAvg, expAvgSq);
        adam.storeMaster(params);
        if (stage.partitionsOptimizer()) {
            for (int b = 0; b < buckets.count(); b++) {
                collective.allGather(params, buckets.bucket(b));
            }
        }
        this.step = stepsDone;
        zeroGradients();
    }

    /** Ends a micro-batch: stage 2 reduce-scatters its gradients into the own shard; stages 0-1 keep adding. */
    public void accumulate() {
        if (!stage.partitionsGradients()) {
            return;
        }
        int own = (int) layout.shardOffset(collective.rank()); // below paddedNumel, checked to fit an array
        for (int b = 0; b < buckets.count(); b++) {
            collective.reduceScatter(grads, buckets.bucket(b));
        }
        for (int i = 0; i < gradShard.length; i++) {
            gradShard[i] += grads[own + i];
        }
        Arrays.fill(grads, 0f);
    }

    /** Reduces (stages 0-1), unscales, clips, updates and gathers; then zeroes the gradients. */
    public StepResult step(double lr) {
        if (!stage.partitionsGradients()) {
            for (int b = 0; b < buckets.count(); b++) {
                collective.allReduce(grads, buckets.bucket(b));
            }
        }
        // (g, gOffset) = this rank's optimizer range; (g, shardAt) = this rank's layout shard.
        float[] g = stage.partitionsGradients() ? gradShard : grads;
        int gOffset = stage.partitionsGradients() ? 0 : adam.offset();
        int shardAt = stage.partitionsGradients() ? 0 : (int) layout.shardOffset(collective.rank());
        int shardLength = (int) layout.shardSize();
        double usedScale = lossScale();
        if (scaler != null) {
            float[] flag = {DynamicLossScaler.hasOverflow(g, shardAt, shardLength) ? 1f : 0f};
            collective.allReduce(flag);
            if (!scaler.update(flag[0] > 0)) {
                zeroGradients();
                return new StepResult(step, true, Double.NaN, 1f, usedScale);
            }
            float inverse = (float) (1.0 / usedScale);
            scale(g, gOffset, adam.length(), inverse);
        }
        // Global norm: every rank sums squares of its own shard (in double), the shard sums are added exactly.
        double norm = Math.sqrt(collective.sumAcrossRanks(
                GradientClipping.sumOfSquares(g, shardAt, shardAt + shardLength)));
        float clipCoef = maxGradNorm > 0 ? GradientClipping.coefficient(norm, maxGradNorm) : 1f;
        GradientClipping.scale(g, gOffset, gOffset + adam.length(), clipCoef);
        step++;
        adam.step(g, gOffset, step, lr);
        adam.storeMaster(params);
        if (stage.partitionsOptimizer()) {
            for (int b = 0; b < buckets.count(); b++) {
                collective.allGather(params, buckets.bucket(b));
            }
        }
        zeroGradients();
        return new StepResult(step, false, norm, clipCoef, usedScale);
    }

    /** Bytes this rank actually holds, from the arrays it allocated. */
    public ZeroMemory memory() {
        long f = 4;
        return new ZeroMemory(f * params.length, f * (gradShard != null ? gradShard.length : grads.length),
                gradShard != null ? f * grads.length : 0, f * adam.master().length,
                f * (adam.expAvg().length + adam.expAvgSq().length));
    }

    private void zeroGradients() {
        Arrays.fill(grads, 0f);
        if (gradShard != null) {
            Arrays.fill(gradShard, 0f);
        }
    }

    private static void scale(float[] values, int offset, int length, float factor) {
        for (int i = offset; i < offset + length; i++) {
            values[i] *= factor;
        }
    }
}
