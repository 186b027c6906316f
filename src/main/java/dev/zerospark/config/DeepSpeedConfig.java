package dev.zerospark.config;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The subset of a DeepSpeed {@code ds_config.json} that maps onto zerospark's training config. Keys that have no
 * counterpart are errors naming the key, so a config never silently means something else here than in DeepSpeed.
 * Keys that only tune DeepSpeed's speed or logging ({@code overlap_comm}, {@code contiguous_gradients},
 * {@code steps_per_print}, {@code wall_clock_breakdown}) cannot change what is trained; when they ask for something
 * zerospark does not do, {@link #ignoredSettings} says so and the loader logs it as a warning.
 * Values set under {@code train} (file or flags) win over the DeepSpeed file.
 */
public record DeepSpeedConfig(
        Integer trainBatchSize,
        Integer trainMicroBatchSizePerGpu,
        Integer gradientAccumulationSteps,
        Double gradientClipping,
        ZeroOptimization zeroOptimization,
        Optimizer optimizer,
        Scheduler scheduler,
        Enabled bf16,
        Fp16 fp16,
        Integer stepsPerPrint,
        Boolean wallClockBreakdown,
        String communicationDataType) {

    public record ZeroOptimization(Integer stage, Long reduceBucketSize, Boolean overlapComm, Boolean contiguousGradients,
                                   Offload offloadOptimizer) {}

    /** DeepSpeed's {@code offload_optimizer}: {@code device} none | cpu; {@code pin_memory} only tunes speed. */
    public record Offload(String device, Boolean pinMemory) {}

    public record Optimizer(String type, OptimizerParams params) {}

    public record OptimizerParams(Double lr, List<Double> betas, Double eps, Double weightDecay) {}

    public record Scheduler(String type, SchedulerParams params) {}

    public record SchedulerParams(Double warmupMinLr, Double warmupMaxLr, Integer warmupNumSteps, String warmupType,
                                  Integer totalNumSteps, Double warmupMinRatio, Double cosMinRatio) {}

    public record Enabled(Boolean enabled) {}

    public record Fp16(Boolean enabled, Double lossScale, Integer initialScalePower, Integer lossScaleWindow,
                       Integer hysteresis, Double minLossScale) {}

    public static DeepSpeedConfig read(InputStream in, String source) {
        ObjectNode tree = ConfigLoader.parse(in, source.endsWith(".json") ? source : source + ".json");
        return ConfigLoader.bind(tree, DeepSpeedConfig.class, source);
    }

    public static DeepSpeedConfig read(String location) {
        try (InputStream in = ConfigSources.open(location)) {
            return read(in, location);
        } catch (IOException e) {
            throw ConfigException.unreadable(location, e);
        }
    }

    /**
     * The {@code train.*} keys this file sets, as dotted overrides for {@link ConfigLoader#override}. Checks
     * DeepSpeed's batch rule {@code train_batch_size = micro × accumulation × world size} against {@code worldSize}.
     */
    public Map<String, Object> toTrainOverrides(int worldSize, String source) {
        Map<String, Object> o = new LinkedHashMap<>();
        Integer micro = trainMicroBatchSizePerGpu;
        Integer accum = gradientAccumulationSteps;
        if (trainBatchSize != null) {
            if (micro == null && accum == null) accum = 1;
            if (micro == null) micro = divide(trainBatchSize, accum * worldSize, "train_micro_batch_size_per_gpu", source);
            if (accum == null) accum = divide(trainBatchSize, micro * worldSize, "gradient_accumulation_steps", source);
            if (micro * accum * worldSize != trainBatchSize) {
                throw new ConfigException("train_batch_size", "batch sizes in " + source + " do not add up: "
                        + "train_batch_size = micro × accumulation × world size, but " + trainBatchSize + " != "
                        + micro + " × " + accum + " × " + worldSize);
            }
        }
        o.put("train.micro_batch_size", micro);
        o.put("train.grad_accum", accum);
        o.put("train.optimizer.gradient_clipping", gradientClipping);
        if (zeroOptimization != null) o.put("train.zero.stage", zeroOptimization.stage());
        if (zeroOptimization != null) o.put("train.zero.reduce_bucket_size", zeroOptimization.reduceBucketSize());
        if (zeroOptimization != null && zeroOptimization.offloadOptimizer() != null) {
            o.put("train.zero.offload_optimizer", zeroOptimization.offloadOptimizer().device());
        }
        if (communicationDataType != null) o.put("train.zero.communication_data_type", switch (communicationDataType.toLowerCase(java.util.Locale.ROOT)) {
            case "fp32", "float32" -> "fp32";
            case "bf16", "bfloat16" -> "bf16";
            case "fp16", "float16" -> "fp16";
            default -> throw new ConfigException("communication_data_type", "communication_data_type in " + source + " is '"
                    + communicationDataType + "'; expected fp32, bf16 or fp16");
        });
        if (optimizer != null) {
            if (optimizer.type() != null && !optimizer.type().equalsIgnoreCase("AdamW")) {
                throw new ConfigException("optimizer.type", "optimizer.type in " + source + " is '" + optimizer.type()
                        + "'; zerospark trains with AdamW only");
            }
            OptimizerParams p = optimizer.params();
            if (p != null) {
                o.put("train.optimizer.lr", p.lr());
                o.put("train.optimizer.betas", p.betas());
                o.put("train.optimizer.eps", p.eps());
                o.put("train.optimizer.weight_decay", p.weightDecay());
            }
        }
        if (scheduler != null) mapScheduler(o, source);
        boolean bf = bf16 != null && Boolean.TRUE.equals(bf16.enabled());
        boolean fp = fp16 != null && Boolean.TRUE.equals(fp16.enabled());
        if (bf && fp) throw new ConfigException("fp16.enabled", "bf16 and fp16 are both enabled in " + source);
        if (bf) o.put("train.precision", "bf16");
        if (fp) {
            o.put("train.precision", "fp16");
            o.put("train.fp16.loss_scale", fp16.lossScale());
            o.put("train.fp16.initial_scale_power", fp16.initialScalePower());
            o.put("train.fp16.loss_scale_window", fp16.lossScaleWindow());
            o.put("train.fp16.hysteresis", fp16.hysteresis());
            o.put("train.fp16.min_loss_scale", fp16.minLossScale());
        }
        return o;
    }

    /**
     * One line per key of this file that asks for a behaviour zerospark does not have but that cannot change the
     * trained weights, naming the key and what happens instead. Empty when every such key matches zerospark.
     */
    public List<String> ignoredSettings(String source) {
        List<String> out = new java.util.ArrayList<>();
        if (zeroOptimization != null && zeroOptimization.offloadOptimizer() != null
                && Boolean.TRUE.equals(zeroOptimization.offloadOptimizer().pinMemory())) {
            out.add("zero_optimization.offload_optimizer.pin_memory=true in " + source + " has no effect: the"
                    + " offloaded optimizer state is ordinary host memory");
        }
        if (zeroOptimization != null && Boolean.TRUE.equals(zeroOptimization.overlapComm())) {
            out.add("zero_optimization.overlap_comm=true in " + source + " has no effect: zerospark reduces the gradient"
                    + " buckets after the backward pass, not overlapped with it");
        }
        if (zeroOptimization != null && Boolean.FALSE.equals(zeroOptimization.contiguousGradients())) {
            out.add("zero_optimization.contiguous_gradients=false in " + source + " has no effect: gradients always"
                    + " live in one contiguous flat buffer");
        }
        if (stepsPerPrint != null) {
            out.add("steps_per_print=" + stepsPerPrint + " in " + source + " has no effect: progress is logged every"
                    + " max(1, min(10, steps / 20)) steps and every step goes to metrics.jsonl");
        }
        if (Boolean.FALSE.equals(wallClockBreakdown)) {
            out.add("wall_clock_breakdown=false in " + source + " has no effect: compute, communication, optimizer"
                    + " and data times are always recorded per step");
        }
        return out;
    }

    private void mapScheduler(Map<String, Object> o, String source) {
        String type = scheduler.type();
        SchedulerParams p = scheduler.params();
        if (p == null) throw new ConfigException("scheduler.params", "scheduler.params missing in " + source);
        if (p.warmupType() != null && !p.warmupType().equals("linear")) {
            throw new ConfigException("scheduler.params.warmup_type", "scheduler.params.warmup_type in " + source
                    + " is '" + p.warmupType() + "'; only 'linear' warmup is supported");
        }
        o.put("train.optimizer.warmup_steps", p.warmupNumSteps());
        switch (type == null ? "" : type) {
            case "WarmupLR" -> {
                o.put("train.optimizer.lr", p.warmupMaxLr());
                o.put("train.optimizer.schedule", "constant");
            }
            case "WarmupDecayLR" -> {
                o.put("train.optimizer.lr", p.warmupMaxLr());
                o.put("train.optimizer.min_lr", p.warmupMinLr() == null ? 0.0 : p.warmupMinLr());
                o.put("train.optimizer.schedule", "linear");
                o.put("train.steps", p.totalNumSteps());
            }
            case "WarmupCosineLR" -> {
                o.put("train.optimizer.schedule", "cosine");
                o.put("train.steps", p.totalNumSteps());
                if (p.warmupMinRatio() != null && p.warmupMinRatio() != 0.0) {
                    throw new ConfigException("scheduler.params.warmup_min_ratio", "scheduler.params.warmup_min_ratio in "
                            + source + " is " + p.warmupMinRatio() + "; warmup starts from 0 here, so only 0 maps");
                }
                if (p.cosMinRatio() != null) {
                    Double lr = optimizer == null || optimizer.params() == null ? null : optimizer.params().lr();
                    if (lr == null) {
                        throw new ConfigException("optimizer.params.lr", "WarmupCosineLR in " + source
                                + " scales optimizer.params.lr, which is missing");
                    }
                    o.put("train.optimizer.min_lr", lr * p.cosMinRatio());
                }
            }
            default -> throw new ConfigException("scheduler.type", "scheduler.type in " + source + " is '" + type
                    + "'; supported: WarmupLR, WarmupDecayLR, WarmupCosineLR");
        }
    }

    private static int divide(int total, int by, String key, String source) {
        if (by <= 0 || total % by != 0) {
            throw new ConfigException(key, "cannot derive " + key + " in " + source + ": train_batch_size " + total
                    + " is not divisible by " + by + " (train_batch_size = micro × accumulation × world size)");
        }
        return total / by;
    }
}
