package dev.zerospark.zero;

/**
 * Bytes of the tensors one rank's {@link ZeroOptimizer} holds (fp32 everywhere in it). The model's own weights
 * and their {@code .grad} tensors belong to the model and are not counted here.
 *
 * @param params weight copies the optimizer keeps besides the model's own: none (it writes the model in place)
 * @param gradients reduced gradients of the optimizer's range: everything in stage 0, the own shard in stages 1-2;
 *     allocated only during a step (from its first reduction to its AdamW update)
 * @param microBatchGradients the bucket the model's gradients are assembled and reduced in (with its host staging
 *     when the device is not the CPU)
 * @param master fp32 master weights held by the optimizer
 * @param optimizerState AdamW exp_avg + exp_avg_sq
 */
public record ZeroMemory(long params, long gradients, long microBatchGradients, long master, long optimizerState) {
    private static final long FLOAT = 4;

    /** What {@link ZeroOptimizer} allocates for {@code layout} at {@code stage} on the CPU, without allocating it. */
    public static ZeroMemory plan(PartitionLayout layout, ZeroStage stage, long bucketElements) {
        long range = stage.partitionsOptimizer() ? layout.shardSize() : layout.paddedNumel();
        return new ZeroMemory(0, FLOAT * range, FLOAT * ZeroOptimizer.bucketCapacity(layout, bucketElements),
                FLOAT * range, 2 * FLOAT * range);
    }

    public long total() {
        return params + gradients + microBatchGradients + master + optimizerState;
    }
}
