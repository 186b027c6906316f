package dev.zerospark.config;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Distributed training ({@code train}). Locations are URI strings for any Hadoop filesystem. */
public record TrainConfig(
        @JsonPropertyDescription("HF model directory or URI to fine-tune (optional: this, or arch with preset)") String model,
        @JsonPropertyDescription("gpt2 | llama, to train from scratch with a preset (optional: this with preset, or model)") String arch,
        @JsonPropertyDescription("size preset for arch: tiny | small (optional: required with arch)") String preset,
        @JsonPropertyDescription("Delta table URI of lm_blocks or sft_pairs (required)") String data,
        @JsonPropertyDescription("number of ranks, one Spark barrier task each (default 1)") Integer worldSize,
        @JsonPropertyDescription("ZeRO settings") ZeroConfig zero,
        @JsonPropertyDescription("AdamW, schedule and clipping") OptimizerConfig optimizer,
        @JsonPropertyDescription("optimizer steps (default 100)") Integer steps,
        @JsonPropertyDescription("sequences per rank per micro-batch (default 4)") Integer microBatchSize,
        @JsonPropertyDescription("micro-batches accumulated per step (default 1)") Integer gradAccum,
        @JsonPropertyDescription("tokens per sequence; must equal the prepare.seq_len the table was packed with (default: the table's)") Integer seqLen,
        @JsonPropertyDescription("fp32 | bf16 | fp16: the number format of the model's weights, activations and "
                + "gradients; bf16 and fp16 are mixed precision as DeepSpeed's bf16/fp16 (which set it): the loss from "
                + "logits upcast to fp32, gradients widened to fp32 for reduction, clipping and AdamW on fp32 master "
                + "weights, the weights rounded back to nearest even; fp16 also scales the loss (train.fp16) "
                + "(default fp32)") String precision,
        @JsonPropertyDescription("seed for init, shuffling and sampling (default 42)") Long seed,
        @JsonPropertyDescription("CPU threads per rank when no GPU is assigned (default 1)") Integer threads,
        @JsonPropertyDescription("checkpoint root URI (required)") String checkpointDir,
        @JsonPropertyDescription("steps between checkpoints (default 50)") Integer checkpointInterval,
        @JsonPropertyDescription("checkpoints to keep; 0 keeps all (default 3)") Integer keepLast,
        @JsonPropertyDescription("steps between validation passes; 0 disables (default 50)") Integer evalInterval,
        @JsonPropertyDescription("restarts from the latest checkpoint after a failed stage (default 3)") Integer maxRestarts,
        @JsonPropertyDescription("run directory URI for metrics and plots (required)") String runDir,
        @JsonPropertyDescription("resume from the latest complete checkpoint (default false)") Boolean resume,
        @JsonPropertyDescription("delete the checkpoints already in checkpoint_dir before a fresh run (default false)") Boolean overwrite,
        @JsonPropertyDescription("a DeepSpeed ds_config.json whose mapped keys are applied under these (optional)") String deepspeedConfig,
        @JsonPropertyDescription("seconds a rank waits on its ring neighbours (joining the ring, or inside a collective "
                + "operation with no byte moving) before failing naming the peer; model and checkpoint loading come "
                + "before joining and do not count (default 120)") Integer collectiveTimeoutS,
        @JsonPropertyDescription("authenticate every gradient frame between ranks with HMAC-SHA256; turn off only on "
                + "networks where nobody can alter traffic (default true)") Boolean frameMac,
        @JsonPropertyDescription("recompute each transformer block's forward during backward, keeping only the block "
                + "inputs: activation memory stops growing with layers x sequence, for about one more forward pass "
                + "of compute; losses and gradients are the same (default false)") Boolean activationCheckpointing,
        @JsonPropertyDescription("fp16 loss scaling, read when precision is fp16 (DeepSpeed's fp16 section)") Fp16Config fp16) {

    public TrainConfig {
        worldSize = Check.positive("world_size", Check.or(worldSize, 1));
        zero = Check.or(zero, ZeroConfig.defaults());
        optimizer = Check.or(optimizer, OptimizerConfig.defaults());
        steps = Check.positive("steps", Check.or(steps, 100));
        microBatchSize = Check.positive("micro_batch_size", Check.or(microBatchSize, 4));
        gradAccum = Check.positive("grad_accum", Check.or(gradAccum, 1));
        if (seqLen != null) Check.positive("seq_len", seqLen); // null: whatever the table was packed with
        precision = Check.oneOf("precision", Check.or(precision, "fp32"), "fp32", "bf16", "fp16");
        fp16 = Check.or(fp16, Fp16Config.defaults());
        seed = Check.or(seed, 42L);
        threads = Check.positive("threads", Check.or(threads, 1));
        checkpointInterval = Check.positive("checkpoint_interval", Check.or(checkpointInterval, 50));
        keepLast = Check.nonNegative("keep_last", Check.or(keepLast, 3));
        evalInterval = Check.nonNegative("eval_interval", Check.or(evalInterval, 50));
        maxRestarts = Check.nonNegative("max_restarts", Check.or(maxRestarts, 3));
        resume = Check.or(resume, false);
        overwrite = Check.or(overwrite, false);
        if (resume && overwrite) throw Check.invalid("overwrite", "(--overwrite) deletes the checkpoints that resume (--resume) needs; set one");
        collectiveTimeoutS = Check.positive("collective_timeout_s", Check.or(collectiveTimeoutS, 120));
        frameMac = Check.or(frameMac, true);
        activationCheckpointing = Check.or(activationCheckpointing, false);
        if (arch != null) Check.oneOf("arch", arch, "gpt2", "llama");
        if (preset != null) Check.oneOf("preset", preset, "tiny", "small");
        if (optimizer.warmupSteps() > steps) {
            throw Check.invalid("optimizer.warmup_steps", "(" + optimizer.warmupSteps() + ") must not exceed steps (" + steps + ")");
        }
    }

    /** Sequences per optimizer step across all ranks: micro × accumulation × world size (DeepSpeed's train_batch_size). */
    public int globalBatchSize() {
        return microBatchSize * gradAccum * worldSize;
    }

    public static TrainConfig defaults() {
        return new TrainConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null, null, null, null, null);
    }
}
