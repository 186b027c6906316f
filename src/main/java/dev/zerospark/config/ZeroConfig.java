package dev.zerospark.config;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** ZeRO sharding, as DeepSpeed's {@code zero_optimization} section. */
public record ZeroConfig(
        @JsonPropertyDescription("0 = replicate, 1 = shard optimizer state, 2 = also shard gradients (default 2)") Integer stage,
        @JsonPropertyDescription("gradient bucket size in elements (DeepSpeed reduce_bucket_size, default 5e8)") Long reduceBucketSize,
        @JsonPropertyDescription("number format of gradient reduction traffic: fp32 | bf16 | fp16; weights always travel as fp32 (DeepSpeed communication_data_type, default fp32)") String communicationDataType,
        @JsonPropertyDescription("where the fp32 master weights, AdamW moments and reduced gradients of a rank's shard live: none = on the rank's device, cpu = in host memory (DeepSpeed zero_optimization.offload_optimizer.device, default none)") String offloadOptimizer) {

    public ZeroConfig {
        stage = Check.oneOf("stage", Check.or(stage, 2), 0, 1, 2);
        reduceBucketSize = Check.or(reduceBucketSize, 500_000_000L);
        if (reduceBucketSize <= 0) throw Check.invalid("reduce_bucket_size", "must be > 0, got " + reduceBucketSize);
        communicationDataType = Check.oneOf("communication_data_type", Check.or(communicationDataType, "fp32"), "fp32", "bf16", "fp16");
        offloadOptimizer = Check.oneOf("offload_optimizer", Check.or(offloadOptimizer, "none"), "none", "cpu");
    }

    public static ZeroConfig defaults() {
        return new ZeroConfig(null, null, null, null);
    }
}
