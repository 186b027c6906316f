package dev.zerospark.training.metrics;

import java.io.Serializable;

/**
 * One optimizer step as written to metrics.jsonl, the Delta metrics table and the console. {@code step} counts the
 * optimizer steps done, this one included (1 for the first), as checkpoint {@code step-N} does and HF's
 * {@code global_step}: the console's "step 10/100" is metrics.jsonl's {@code "step": 10}. The loss is that step's
 * training loss, measured before its update. Validation fields are NaN when not run.
 */
public record StepMetrics(long step, double loss, double lr, double gradNorm, double tokensPerS, double mfu,
                          double valLoss, double valPerplexity, double stepSeconds, double computeSeconds,
                          double commSeconds, double optimizerSeconds, double dataSeconds) implements Serializable {}
