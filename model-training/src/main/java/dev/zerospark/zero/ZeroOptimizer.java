package dev.zerospark.zero;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.zerospark.model.GradMode;
import dev.zerospark.collective.Collective;
import dev.zerospark.collective.ShardRanges;
import dev.zerospark.flat.FlatFloats;
import dev.zerospark.optim.AdamWConfig;
import dev.zerospark.train.GradientClipping;
import dev.zerospark.train.TrainableWeights;
import dev.zerospark.zero.internal.BucketStaging;
import dev.zerospark.zero.internal.Tensors;

import java.util.function.ToLongFunction;

/**
 * One rank's data-parallel optimizer with ZeRO stage 0, 1 or 2 semantics, on libtorch tensors.
 *
 * <p>Per training step: every micro-batch's backward adds its (already 1/global-token-count scaled, and loss
 * scaled when fp16) gradients into the model's own gradient tensors, then the caller calls {@link #accumulate()};
 * after the last micro-batch, {@link #step(double)} reduces, checks overflow, unscales, clips by global norm,
 * updates this rank's fp32 master range and writes the new weights into the model's tensors in place.
 *
 * <pre>
 * stage 0: grads accumulate in .grad | all-reduce bucket by bucket  | AdamW on everything  | write weights
 * stage 1: grads accumulate in .grad | reduce-scatter bucket by bucket | AdamW on own shard | all-gather by bucket
 * stage 2: reduce-scatter every micro-batch into the own gradient shard | AdamW on own shard | all-gather by bucket
 * </pre>
 * Stage 1 reduce-scatters where DeepSpeed all-reduces: the owner finishes each element's sum either way (same bits),
 * and only the own shard of the reduced gradient is ever read.
 *
 * <p>Tensors held: the master weights and moments of the optimizer's range (on the model's device, or the host when
 * offloaded) and one bucket on the model's device (plus its host staging off the CPU); during a step, the reduced
 * fp32 gradients of that range. Those exist only from the step's first reduction to its AdamW update, so they never
 * sit beside the activations of a forward and backward, except that stage 2 with several micro-batches keeps them
 * across its later micro-batches. Nothing full-model sized is on the Java heap.
 */
public final class ZeroOptimizer implements AutoCloseable {
    /**
     * Most elements one bucket holds over all ranks (32 MiB of fp32): bounds the device bucket and its host
     * staging whatever {@code reduce_bucket_size} says. Results do not depend on the bucket size. The bucket is held
     * through forward and backward too, so it adds to the peak one for one; a collective call per 32 MiB costs
     * little next to moving them.
     */
    public static final long MAX_BUCKET_ELEMENTS = 1L << 23;

    /** What one step did. {@code gradNorm} is the global L2 norm before clipping (after unscaling). */
    public record StepResult(long step, boolean skipped, double gradNorm, float clipCoef, double lossScale) {}

    private final Collective collective;
    private final PartitionLayout layout;
    private final ZeroStage stage;
    private final GradientBuckets buckets;
    private final double maxGradNorm;
    private final DynamicLossScaler scaler;
    private final TrainableWeights model;
    private final NDManager manager;
    private final ShardedAdamW adam;
    /** Where the optimizer state lives: the model's device, or the host when offloaded. */
    private final NDManager stateManager;
    private final BucketStaging bucket;
    /**
     * Reduced gradients of the optimizer's range ({@code adam}'s), fp32 on the state's device, in {@link #gradScope};
     * null while no reduction of the current step has run (the first one allocates and copies, later ones add).
     */
    private NDArray gradRange;
    private NDManager gradScope;
    private long step;
    /**
     * {@link #writesWeightsInUpdate(NDManager)}'s answer, asked at the first applied step: after the model's first
     * forward has cast it to its training dtype ({@link TrainStep} runs one before every step). Were a bf16 model
     * stepped before that, the answer would be stale and NativeAdamW's buffer check would fail the write loudly.
     */
    private Boolean updateWritesWeights;

    private ZeroOptimizer(Collective collective, PartitionLayout layout, ZeroStage stage, GradientBuckets buckets,
                          double maxGradNorm, DynamicLossScaler scaler, TrainableWeights model, NDManager manager,
                          ShardedAdamW adam, NDManager stateManager, BucketStaging bucket) {
        this.collective = collective;
        this.layout = layout;
        this.stage = stage;
        this.buckets = buckets;
        this.maxGradNorm = maxGradNorm;
        this.scaler = scaler;
        this.model = model;
        this.manager = manager;
        this.adam = adam;
        this.stateManager = stateManager;
        this.bucket = bucket;
    }

    /**
     * Takes the master weights from {@code model}'s current weights: every rank must hold the same ones (load the
     * same checkpoint, or broadcast first).
     *
     * @param maxGradNorm clip the global gradient L2 norm to this; {@code <= 0} disables clipping
     * @param scaler fp16 dynamic loss scaler, or null when gradients are not loss-scaled
     * @param offload keep the master weights, moments and range gradients in host memory (DeepSpeed
     *     {@code zero_optimization.offload_optimizer.device: cpu}) instead of on the model's device
     */
    public static ZeroOptimizer create(Collective collective, PartitionLayout layout, ZeroStage stage,
                                       AdamWConfig config, double maxGradNorm, long bucketElements,
                                       DynamicLossScaler scaler, TrainableWeights model, boolean offload) {
        if (layout.worldSize() != collective.worldSize()) {
            throw new IllegalArgumentException(layout + " is for " + layout.worldSize() + " ranks, the collective has "
                    + collective.worldSize());
        }
        if (model.params().size() != layout.params().size()) {
            throw new IllegalArgumentException(layout + " has " + layout.params().size() + " parameters, the model "
                    + model.params().size());
        }
        GradientBuckets buckets = GradientBuckets.of(layout, bucketCapacity(layout, bucketElements) / layout.worldSize());
        NDManager manager = NDManager.newBaseManager(model.device(), "PyTorch");
        try {
            NDManager stateManager = offload ? manager.newSubManager(Device.cpu()) : manager;
            ShardedAdamW adam = stage.partitionsOptimizer()
                    ? ShardedAdamW.forShard(layout, collective.rank(), config, stateManager)
                    : ShardedAdamW.full(layout, config, stateManager);
            BucketStaging bucket = BucketStaging.of(manager, bucketCapacity(layout, bucketElements));
            ZeroOptimizer zero = new ZeroOptimizer(collective, layout, stage, buckets, maxGradNorm, scaler, model,
                    manager, adam, stateManager, bucket);
            try (GradMode off = GradMode.off()) {
                zero.loadMasterFromModel();
            }
            return zero;
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Elements of the bucket over all ranks: each rank's slice is the requested size, capped, at most a shard. */
    static long bucketCapacity(PartitionLayout layout, long bucketElements) {
        if (bucketElements < 1) {
            throw new IllegalArgumentException("bucket size must be >= 1 element, got " + bucketElements);
        }
        int n = layout.worldSize();
        long perRank = Math.min(Math.min(bucketElements, MAX_BUCKET_ELEMENTS / n), layout.shardSize());
        return n * Math.max(1, perRank);
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

    /** The fp16 loss scaler's state for a checkpoint, or null when gradients are not loss-scaled. */
    public DynamicLossScaler.State lossScalerState() {
        return scaler == null ? null : scaler.state();
    }

    /**
     * Continues the loss scaler from a checkpoint's {@code state}; ignored when this optimizer scales no loss (a
     * checkpoint of an fp16 run resumed in bf16 or fp32 has nothing to scale).
     */
    public void restoreLossScaler(DynamicLossScaler.State state) {
        if (scaler != null) scaler.restore(state);
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
     * Resumes from a checkpoint: {@code load} fills this rank's optimizer state ({@link ShardedAdamW#write}) and
     * returns the optimizer steps it had done; then the model's weights are rebuilt from the master weights (an
     * all-gather in stages 1-2: every rank must call it). Returns the steps done.
     */
    public long restore(ToLongFunction<ShardedAdamW> load) {
        try (GradMode off = GradMode.off()) {
            long stepsDone = load.applyAsLong(adam);
            if (stepsDone < 0) {
                throw new IllegalArgumentException("steps done must be >= 0, got " + stepsDone);
            }
            publishWeights();
            this.step = stepsDone;
            clearRangeGradients();
            model.zeroGradients();
            return stepsDone;
        }
    }

    /** Ends a micro-batch: stage 2 reduce-scatters its gradients into the own shard; stages 0-1 keep adding. */
    public void accumulate() {
        if (stage.partitionsGradients()) {
            try (GradMode off = GradMode.off()) {
                reduceGradients();
            }
        }
    }

    /**
     * Reduces (stages 0-1), unscales, clips, updates and writes the weights; then zeroes the gradients and frees the
     * reduced ones.
     */
    public StepResult step(double lr) {
        if (stage.partitionsGradients() && gradRange == null) {
            throw new IllegalStateException("ZeRO-2 optimizer step " + (step + 1) + " has no reduced gradients: call "
                    + "accumulate() after each micro-batch's backward");
        }
        try (GradMode off = GradMode.off(); NDManager scope = manager.newSubManager()) {
            if (!stage.partitionsGradients()) {
                reduceGradients();
            }
            // This rank's layout shard of the gradient: what its norm and overflow share are computed over.
            NDArray own = stage.partitionsOptimizer() ? gradRange
                    : Tensors.slice(gradRange, layout.shardOffset(collective.rank()), layout.shardSize(), scope);
            double usedScale = lossScale();
            if (scaler != null) {
                // Squares of finite fp32 values cannot overflow a double: a non-finite sum means inf/NaN gradients.
                double flag = Double.isFinite(Tensors.sumOfSquares(own)) ? 0 : 1;
                if (!scaler.update(collective.sumAcrossRanks(flag) > 0)) {
                    return new StepResult(step, true, Double.NaN, 1f, usedScale);
                }
                gradRange.muli((float) (1.0 / usedScale));
            }
            // Global norm: every rank sums squares of its own shard (in double), the shard sums are added exactly.
            double norm = Math.sqrt(collective.sumAcrossRanks(Tensors.sumOfSquares(own)));
            float clipCoef = maxGradNorm > 0 ? GradientClipping.coefficient(norm, maxGradNorm) : 1f;
            step++;
            if (updateWritesWeights == null) {
                updateWritesWeights = writesWeightsInUpdate(scope);
            }
            if (updateWritesWeights) {
                adam.step(gradRange, step, lr, clipCoef, (p, from, n) -> Tensors.slice(model.weight(p.param(), scope),
                        p.paramOffset() + from, n, scope).toByteBuffer(true));
                return new StepResult(step, false, norm, clipCoef, usedScale);
            }
            if (clipCoef != 1f) { // multiplying by 1 is bit-identical: skip the pass
                gradRange.muli(clipCoef);
            }
            adam.step(gradRange, step, lr);
            clearRangeGradients(); // not needed any more: the all-gather's temporaries do not add to them
            publishWeights();
            return new StepResult(step, false, norm, clipCoef, usedScale);
        } finally {
            clearRangeGradients();
        }
    }

    /**
     * Bytes of the tensors this optimizer holds, by kind (the model's own weights and .grad are not counted); the
     * reduced gradients count at their size during a step, whether or not a step is running now.
     */
    public ZeroMemory memory() {
        return new ZeroMemory(0, 4 * adam.length(), bucket.bytes(), 4 * adam.length(), 8 * adam.length());
    }

    /** Bytes of reduced gradients allocated right now: 0 between steps and before a step's first reduction. */
    public long reducedGradientBytesHeld() {
        return gradRange == null ? 0 : 4 * gradRange.size();
    }

    @Override
    public void close() {
        manager.close();
    }

    /** Frees the reduced gradients: the step's next reduction allocates them again and copies instead of adding. */
    private void clearRangeGradients() {
        if (gradScope != null) {
            gradScope.close();
        }
        gradScope = null;
        gradRange = null;
    }

    /**
     * Bucket by bucket: copies the model's gradients of the bucket's regions into the bucket tensor, reduces it
     * (all-reduce in stage 0, reduce-scatter otherwise), and copies the optimizer range's part of it into
     * {@link #gradRange} (allocated here by the step's first reduction), or adds it there on later ones; then zeroes
     * the model's gradients.
     */
    private void reduceGradients() {
        boolean add = gradRange != null;
        int n = layout.worldSize();
        if (!add && n == 1) {
            // One rank: the reduction is the identity and the range is the whole layout, so the gradients go straight
            // into the range (every element written, padding zeroed) instead of through the bucket: the same bits,
            // without a range-sized zero fill and two copies per step.
            gradScope = stateManager.newSubManager();
            gradRange = Tensors.empty(gradScope, adam.length());
            try (NDManager scope = manager.newSubManager()) {
                gatherGradients(adam.rangeOffset(), adam.length(), gradRange, scope);
            }
            model.zeroGradients();
            return;
        }
        if (!add) {
            gradScope = stateManager.newSubManager();
            gradRange = Tensors.zeros(gradScope, adam.length());
        }
        for (int b = 0; b < buckets.count(); b++) {
            ShardRanges regions = buckets.bucket(b);
            long len = regions.length(0);
            try (NDManager scope = manager.newSubManager()) {
                NDArray tensor = bucket.tensor();
                for (int r = 0; r < n; r++) {
                    gatherGradients(regions.offset(r), len, Tensors.slice(tensor, r * len, len, scope), scope);
                }
                FlatFloats host = bucket.toHost(n * len);
                ShardRanges local = ShardRanges.even(0, n * len, n);
                if (stage.partitionsOptimizer()) {
                    collective.reduceScatter(host, local);
                } else {
                    collective.allReduce(host, local);
                }
                bucket.fromHost(n * len);
                for (int r = 0; r < n; r++) {
                    if (!stage.partitionsOptimizer() || r == collective.rank()) {
                        NDArray into = Tensors.slice(gradRange, regions.offset(r) - adam.rangeOffset(), len, scope);
                        NDArray reduced = Tensors.slice(tensor, r * len, len, scope);
                        if (add) {
                            into.addi(reduced.toDevice(into.getDevice(), false));
                        } else {
                            Tensors.copy(into, reduced);
                        }
                    }
                }
            }
        }
        model.zeroGradients();
    }

    /** {@code into} = the model's gradients of flat elements {@code [from, from + len)}, fp32; padding is zero. */
    private void gatherGradients(long from, long len, NDArray into, NDManager scope) {
        long end = from;
        for (PartitionLayout.Piece p : layout.pieces(from, len)) {
            NDArray dst = Tensors.slice(into, p.flatOffset() - from, p.length(), scope);
            NDArray grad = model.gradient(p.param(), scope);
            if (grad == null) {
                Tensors.zero(dst); // no backward reached this parameter
            } else {
                // A reduced-precision .grad is upcast here: buckets and everything after them are fp32.
                Tensors.copy(dst, Tensors.slice(grad, p.paramOffset(), p.length(), scope));
            }
            end = p.flatOffset() + p.length();
        }
        if (end < from + len) {
            Tensors.zero(Tensors.slice(into, end - from, from + len - end, scope)); // the layout's padding
        }
    }

    /**
     * Whether the AdamW pass itself can write the new weights into the model: it runs on the host, this rank
     * publishes its master weights locally ({@link #publishWeights}'s first case: one rank, or stage 0), and the
     * model's weights are fp32 host memory that a direct buffer addresses. A reduced-precision model rounds on the
     * way ({@link TrainableWeights#writeWeight}); a GPU model gets them copied over. The weights' dtype, device and
     * memory do not change during a run, so this is asked once (about 50 JNI calls for a small model).
     */
    private boolean writesWeightsInUpdate(NDManager scope) {
        if (!adam.updatesOnHost() || (stage.partitionsOptimizer() && layout.worldSize() > 1)) {
            return false;
        }
        for (int i = 0; i < layout.params().size(); i++) {
            NDArray w = model.weight(i, scope);
            if (w.getDataType() != ai.djl.ndarray.types.DataType.FLOAT32 || !w.getDevice().equals(Device.cpu())
                    || !w.toByteBuffer(true).isDirect()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Writes the master weights into the model: directly from the full range in stage 0, else bucket by bucket,
     * each rank's slice of the bucket all-gathered through the bucket tensor.
     */
    private void publishWeights() {
        // One rank holds all master weights: the all-gather through the bucket would only copy them there and back.
        if (!stage.partitionsOptimizer() || layout.worldSize() == 1) {
            try (NDManager scope = manager.newSubManager()) {
                writeWeights(adam.master(), adam.rangeOffset(), adam.length(), scope);
            }
            return;
        }
        int n = layout.worldSize();
        int rank = collective.rank();
        for (int b = 0; b < buckets.count(); b++) {
            ShardRanges regions = buckets.bucket(b);
            long len = regions.length(0);
            try (NDManager scope = manager.newSubManager()) {
                NDArray tensor = bucket.tensor();
                Tensors.copy(Tensors.slice(tensor, rank * len, len, scope),
                        Tensors.slice(adam.master(), regions.offset(rank) - adam.rangeOffset(), len, scope));
                FlatFloats host = bucket.toHost(n * len);
                collective.allGather(host, ShardRanges.even(0, n * len, n));
                bucket.fromHost(n * len);
                for (int r = 0; r < n; r++) {
                    writeWeights(Tensors.slice(tensor, r * len, len, scope), regions.offset(r), len, scope);
                }
            }
        }
    }

    /** Writes {@code values}, the master weights of flat elements {@code [from, from + len)}, into the model. */
    private void writeWeights(NDArray values, long from, long len, NDManager scope) {
        for (PartitionLayout.Piece p : layout.pieces(from, len)) {
            model.writeWeight(p.param(), p.paramOffset(), Tensors.slice(values, p.flatOffset() - from, p.length(), scope));
        }
    }

    /** The master weights start as the model's weights (this rank's range of them). */
    private void loadMasterFromModel() {
        for (PartitionLayout.Piece p : adam.pieces()) {
            try (NDManager scope = manager.newSubManager()) {
                Tensors.copy(Tensors.slice(adam.master(), p.flatOffset() - adam.rangeOffset(), p.length(), scope),
                        Tensors.slice(model.weight(p.param(), scope), p.paramOffset(), p.length(), scope));
            }
        }
    }
}
