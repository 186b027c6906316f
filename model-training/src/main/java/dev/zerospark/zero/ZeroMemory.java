package dev.zerospark.zero;

/**
 * Bytes one rank holds for training state (fp32 everywhere in this trainer).
 *
 * @param params full parameter buffer the model reads (padded)
 * @param gradients reduced/accumulated gradients kept across micro-batches: full in stages 0-1, shard in stage 2
 * @param microBatchGradients extra transient buffer a backward pass writes into before its reduce-scatter
 *     (stage 2 only: the model produces full gradients)
 * @param master fp32 master weights held by the optimizer
 * @param optimizerState AdamW exp_avg + exp_avg_sq
 */
public record ZeroMemory(long params, long gradients, long microBatchGradients, long master, long optimizerState) {
    private static final long FLOAT = 4;

    /** What {@link ZeroOptimizer} allocates for {@code layout} at {@code stage}, without allocating it. */
    public static ZeroMemory plan(PartitionLayout layout, ZeroStage stage) {
        long full = layout.paddedNumel();
        long range = stage.partitionsOptimizer() ? layout.shardSize() : full;
        long grads = stage.partitionsGradients() ? layout.shardSize() : full;
        long transient_ = stage.partitionsGradients() ? full : 0;
        return new ZeroMemory(FLOAT * full, FLOAT * grads, FLOAT * transient_, FLOAT * range, 2 * FLOAT * range);
    }

    public long total() {
        return params + gradients + microBatchGradients + master + optimizerState;
    }
}
