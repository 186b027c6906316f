package dev.zerospark.config;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Distributed training ({@code train}). Locations are URI strings for any Hadoop filesystem. */
public record TrainConfig(
        @JsonPropertyDescription("HF model directory or URI to fine-tune") String model,
        @JsonPropertyDescription("gpt2 | llama, to train from scratch with a preset") String arch,
        @JsonPropertyDescription("size preset for --arch: tiny | small") String preset,
        @JsonPropertyDescription("Delta table URI of lm_blocks or sft_pairs") String data,
        @JsonPropertyDescription("number of ranks, one Spark barrier task each (default 1)") Integer worldSize,
        @JsonPropertyDescription("ZeRO settings") ZeroConfig zero,
        @JsonPropertyDescription("optimizer steps (default 100)") Integer steps,
        @JsonPropertyDescription("sequences per rank per micro-batch (default 4)") Integer microBatchSize,
        @JsonPropertyDescription("micro-batches accumulated per step (default 1)") Integer gradAccum,
        @JsonPropertyDescription("tokens per sequence (default 256)") Integer seqLen,
        @JsonPropertyDescription("peak learning rate (default 3e-4)") Double lr,
        @JsonPropertyDescription("checkpoint root URI") String checkpointDir,
        @JsonPropertyDescription("steps between checkpoints (default 50)") Integer checkpointInterval,
        @JsonPropertyDescription("run directory URI for metrics and plots") String runDir,
        @JsonPropertyDescription("resume from <checkpoint_dir>/latest (default false)") Boolean resume) {

    public TrainConfig {
        worldSize = Check.positive("world_size", Check.or(worldSize, 1));
        zero = Check.or(zero, ZeroConfig.defaults());
        steps = Check.positive("steps", Check.or(steps, 100));
        microBatchSize = Check.positive("micro_batch_size", Check.or(microBatchSize, 4));
        gradAccum = Check.positive("grad_accum", Check.or(gradAccum, 1));
        seqLen = Check.positive("seq_len", Check.or(seqLen, 256));
        lr = Check.positive("lr", Check.or(lr, 3e-4));
        checkpointInterval = Check.positive("checkpoint_interval", Check.or(checkpointInterval, 50));
        resume = Check.or(resume, false);
        if (arch != null) Check.oneOf("arch", arch, "gpt2", "llama");
    }

    public static TrainConfig defaults() {
        return new TrainConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }
}
