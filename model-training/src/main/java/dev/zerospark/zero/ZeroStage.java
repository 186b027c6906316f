package dev.zerospark.zero;

/** DeepSpeed ZeRO stages of data parallelism. */
public enum ZeroStage {
    /** Gradients all-reduced; every rank holds the full optimizer state and master weights. */
    STAGE_0,
    /** Gradients all-reduced; optimizer state and master weights partitioned; parameters all-gathered. */
    STAGE_1,
    /** As stage 1, but gradients are reduce-scattered, so each rank keeps only its gradient shard. */
    STAGE_2;

    public static ZeroStage of(int stage) {
        return switch (stage) {
            case 0 -> STAGE_0;
            case 1 -> STAGE_1;
            case 2 -> STAGE_2;
            default -> throw new IllegalArgumentException("ZeRO stage must be 0, 1 or 2, got " + stage);
        };
    }

    public int number() {
        return ordinal();
    }

    public boolean partitionsOptimizer() {
        return this != STAGE_0;
    }

    public boolean partitionsGradients() {
        return this == STAGE_2;
    }
}
