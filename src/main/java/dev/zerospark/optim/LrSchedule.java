package dev.zerospark.optim;

/**
 * Linear warmup to {@code peak}, then decay to {@code floor} over the remaining steps. Steps are 0-based:
 * {@code lr(step) = peak * (step + 1) / warmup} while {@code step < warmup}; after that, with
 * {@code progress = (step - warmup) / (total - warmup)}:
 * cosine {@code floor + 0.5 * (peak - floor) * (1 + cos(pi * progress))}, linear
 * {@code floor + (peak - floor) * (1 - progress)}, or constant {@code peak}.
 */
public record LrSchedule(double peak, double floor, int warmup, int total, Decay decay) {
    public enum Decay { COSINE, LINEAR, CONSTANT }

    public LrSchedule {
        if (!(peak > 0)) throw new IllegalArgumentException("lr must be > 0, got " + peak);
        if (!(floor >= 0 && floor <= peak)) throw new IllegalArgumentException("min lr must be in [0, lr], got " + floor);
        if (warmup < 0) throw new IllegalArgumentException("warmup steps must be >= 0, got " + warmup);
        if (total < 1 || total < warmup) throw new IllegalArgumentException("total steps must be >= max(1, warmup), got " + total);
        if (decay == null) throw new IllegalArgumentException("decay must be set");
    }

    /** Warmup then cosine, the recipe of the shared training fixtures. */
    public LrSchedule(double peak, double floor, int warmup, int total) {
        this(peak, floor, warmup, total, Decay.COSINE);
    }

    public double lr(int step) {
        if (step < warmup) {
            return peak * (step + 1) / warmup;
        }
        if (total == warmup || decay == Decay.CONSTANT) {
            return decay == Decay.CONSTANT ? peak : floor;
        }
        double progress = Math.min(1.0, (double) (step - warmup) / (total - warmup));
        return switch (decay) {
            case COSINE -> floor + 0.5 * (peak - floor) * (1 + Math.cos(Math.PI * progress));
            case LINEAR -> floor + (peak - floor) * (1 - progress);
            case CONSTANT -> peak;
        };
    }
}
