package dev.zerospark.training.metrics;

import java.io.Serializable;

/** One optimizer step as written to metrics.jsonl and the Delta metrics table. Validation fields are NaN when not run. */
public record StepMetrics(long step, double loss, double lr, double gradNorm, double tokensPerS, double mfu,
                          double valLoss, double valPerplexity, double stepSeconds, double computeSeconds,
                          double commSeconds, double optimizerSeconds, double dataSeconds) implements Serializable {}
