package dev.zerospark.training.metrics;

import java.io.Serializable;

/**
 * One optimizer step as written to metrics.jsonl, the Delta metrics table and the console. {@code step} counts the
 * optimizer steps done, this one included (1 for the first), as checkpoint {@code step-N} does and HF's
 * {@code global_step}: the console's "step 10/100" is metrics.jsonl's {@code "step": 10}. The loss is that step's
 * training loss, measured before its update. Validation fields are NaN when not run.
 *
 * @param lossScale the fp16 loss scale the step's backward used; NaN without loss scaling (fp32, bf16)
 * @param skipped the step's gradients overflowed and the optimizer skipped it (fp16)
 * @param skippedSteps steps skipped since the run began (a resume continues the count), this one included
 */
public record StepMetrics(long step, double loss, double lr, double gradNorm, double tokensPerS, double mfu,
                          double valLoss, double valPerplexity, double stepSeconds, double computeSeconds,
                          double commSeconds, double optimizerSeconds, double dataSeconds, double lossScale,
                          boolean skipped, long skippedSteps) implements Serializable {

    /** A step of a run without loss scaling. */
    public StepMetrics(long step, double loss, double lr, double gradNorm, double tokensPerS, double mfu,
                       double valLoss, double valPerplexity, double stepSeconds, double computeSeconds,
                       double commSeconds, double optimizerSeconds, double dataSeconds) {
        this(step, loss, lr, gradNorm, tokensPerS, mfu, valLoss, valPerplexity, stepSeconds, computeSeconds,
                commSeconds, optimizerSeconds, dataSeconds, Double.NaN, false, 0);
    }
}
