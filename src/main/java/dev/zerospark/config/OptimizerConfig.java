package dev.zerospark.config;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.List;

/** AdamW with a warmup + decay schedule and global-norm clipping (DeepSpeed's optimizer/scheduler/gradient_clipping). */
public record OptimizerConfig(
        @JsonPropertyDescription("peak learning rate (default 3e-4)") Double lr,
        @JsonPropertyDescription("learning rate at the end of the decay (default 0.1 * lr)") Double minLr,
        @JsonPropertyDescription("linear warmup steps (default 0)") Integer warmupSteps,
        @JsonPropertyDescription("after warmup: cosine | linear | constant (default cosine)") String schedule,
        @JsonPropertyDescription("AdamW betas (default [0.9, 0.95])") List<Double> betas,
        @JsonPropertyDescription("AdamW eps (default 1e-8)") Double eps,
        @JsonPropertyDescription("decoupled weight decay on tensors with >= 2 dims (default 0.1)") Double weightDecay,
        @JsonPropertyDescription("clip the global L2 gradient norm to this; 0 disables (default 1.0)") Double gradientClipping) {

    public OptimizerConfig {
        lr = Check.positive("lr", Check.or(lr, 3e-4));
        minLr = Check.or(minLr, lr * 0.1);
        if (!(minLr >= 0 && minLr <= lr)) throw Check.invalid("min_lr", "must be in [0, lr=" + lr + "], got " + minLr);
        warmupSteps = Check.nonNegative("warmup_steps", Check.or(warmupSteps, 0));
        schedule = Check.oneOf("schedule", Check.or(schedule, "cosine"), "cosine", "linear", "constant");
        betas = List.copyOf(Check.or(betas, List.of(0.9, 0.95)));
        if (betas.size() != 2) throw Check.invalid("betas", "must have two values, got " + betas);
        for (double b : betas) {
            if (!(b >= 0 && b < 1)) throw Check.invalid("betas", "values must be in [0, 1), got " + betas);
        }
        eps = Check.positive("eps", Check.or(eps, 1e-8));
        weightDecay = Check.or(weightDecay, 0.1);
        if (weightDecay < 0) throw Check.invalid("weight_decay", "must be >= 0, got " + weightDecay);
        gradientClipping = Check.or(gradientClipping, 1.0);
        if (gradientClipping < 0) throw Check.invalid("gradient_clipping", "must be >= 0, got " + gradientClipping);
    }

    public static OptimizerConfig defaults() {
        return new OptimizerConfig(null, null, null, null, null, null, null, null);
    }
}
