package dev.zerospark.eval;

/** One ROUGE score: precision (matches / prediction count), recall (matches / reference count) and F1. */
public record Score(double p, double r, double f) {
    public static final Score ZERO = new Score(0.0, 0.0, 0.0);

    /** rouge-score's {@code scoring.fmeasure}: F1 of p and r, 0 when both are 0. */
    public static Score of(double p, double r) {
        return new Score(p, r, p + r > 0 ? 2 * p * r / (p + r) : 0.0);
    }
}
