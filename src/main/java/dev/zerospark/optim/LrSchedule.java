package dev.zerospark.optim;

/**
 * Linear warmup to {@code peak}, then cosine decay to {@code floor} over the remaining steps.
 * {@code lr(step) = peak * (step + 1) / warmup} while {@code step < warmup}; after that
 * {@code floor + 0.5 * (peak - floor) * (1 + cos(pi * (step - warmup) / (total - warmup)))}. Steps are 0-based.
 */
public record LrSchedule(double peak, double floor, int warmup, int total) {
    public LrSchedule {
        if (!(peak > 0)) throw new IllegalArgumentException("lr must be > 0, got " + peak);
        if (!(floor >= 0 && floor <= peak)) throw new IllegalArgumentException("min lr must be in [0, lr], got " + floor);
        if (warmup < 0) throw new IllegalArgumentException("warmup steps must be >= 0, got " + warmup);
        if (total < 1 || total < warmup) throw new IllegalArgumentException("total steps must be >= max(1, warmup), got " + total);
    }

    public double lr(int step) {
        if (step < warmup) {
            return peak * (step + 1) / warmup;
        }
        if (total == warmup) {
            return floor;
        }
        double progress = (double) (step - warmup) / (total - warmup);
        return floor + 0.5 * (peak - floor) * (1 + Math.cos(Math.PI * progress));
    }
}
