package dev.zerospark.train;

/** Sum of per-token cross-entropy losses over a micro-batch and the number of predicted tokens it covers. */
public record LossSum(double sum, long tokens) {
    public LossSum plus(LossSum o) {
        return new LossSum(sum + o.sum, tokens + o.tokens);
    }

    /** Mean loss per predicted token (NaN when no token was predicted). */
    public double mean() {
        return tokens == 0 ? Double.NaN : sum / tokens;
    }
}
