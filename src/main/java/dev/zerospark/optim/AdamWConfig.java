package dev.zerospark.optim;

/** AdamW hyper-parameters, validated on construction. Defaults follow torch.optim.AdamW. */
public record AdamWConfig(double beta1, double beta2, double eps, double weightDecay) {
    public static final AdamWConfig TORCH_DEFAULTS = new AdamWConfig(0.9, 0.999, 1e-8, 0.01);

    public AdamWConfig {
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw new IllegalArgumentException("optimizer.betas[0] must be in [0, 1), got " + beta1);
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("optimizer.betas[1] must be in [0, 1), got " + beta2);
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("optimizer.eps must be > 0, got " + eps);
        }
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("optimizer.weight_decay must be >= 0, got " + weightDecay);
        }
    }
}
