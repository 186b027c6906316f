package dev.zerospark.train;

import dev.zerospark.optim.AdamW;
import dev.zerospark.optim.AdamWConfig;
import dev.zerospark.optim.LrSchedule;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One-process training loop with PyTorch's arithmetic: mean causal-LM loss over the global batch, backward,
 * global-L2-norm clipping, AdamW (decay on >= 2-dim tensors) with the warmup + cosine schedule. The optimizer
 * state is flat fp32, aligned with {@link TrainableModel#params()}.
 */
public final class SingleProcessTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(SingleProcessTrainer.class);

    /** What one step did: mean loss, gradient norm before clipping, learning rate used. */
    public record StepResult(int step, double loss, double gradNorm, double lr) {}

    private final TrainableModel model;
    private final AdamWConfig adamW;
    private final LrSchedule schedule;
    private final double maxGradNorm;
    private float[] params;
    private float[] grad;
    private float[] expAvg;
    private float[] expAvgSq;
    private int step;

    /** {@code maxGradNorm} <= 0 disables clipping. */
    public SingleProcessTrainer(TrainableModel model, AdamWConfig adamW, LrSchedule schedule, double maxGradNorm) {
        this.model = model;
        this.adamW = adamW;
        this.schedule = schedule;
        this.maxGradNorm = maxGradNorm;
    }

    private void init() {
        int n = TrainableModels.flatArrayLength("the single-process trainer", model.numel());
        params = new float[n];
        model.readParams(params);
        grad = new float[n];
        expAvg = new float[n];
        expAvgSq = new float[n];
    }

    /**
     * One optimizer step on a global batch split into micro-batches (gradient accumulation); every token of the
     * global batch weighs the same, as in one big batch.
     */
    public StepResult step(List<int[][]> microBatches, List<float[][]> lossMasks) {
        if (params == null) {
            init();
        }
        Arrays.fill(grad, 0f);
        long tokens = 0;
        for (int i = 0; i < microBatches.size(); i++) {
            tokens += TrainableModel.countTargets(microBatches.get(i), mask(lossMasks, i));
        }
        if (tokens == 0) {
            throw new IllegalArgumentException("step " + step + " has no predicted tokens (all masked)");
        }
        LossSum loss = new LossSum(0, 0);
        for (int i = 0; i < microBatches.size(); i++) {
            loss = loss.plus(model.forwardBackward(microBatches.get(i), mask(lossMasks, i), 1f / tokens, grad));
        }
        double norm = maxGradNorm > 0 ? GradientClipping.clipByGlobalNorm(grad, maxGradNorm)
                : Math.sqrt(GradientClipping.sumOfSquares(grad, 0, grad.length));
        double lr = schedule.lr(step);
        for (ParamSpec s : model.params()) {
            AdamW.update(params, grad, expAvg, expAvgSq, (int) s.offset(), (int) s.numel(), step + 1, lr, adamW,
                    s.decay());
        }
        model.writeParams(params);
        StepResult r = new StepResult(step, loss.mean(), norm, lr);
        LOG.info("step {}: loss {} grad_norm {} lr {}", step, r.loss(), norm, lr);
        step++;
        return r;
    }

    /** Convenience: one micro-batch, no loss mask. */
    public StepResult step(int[][] batch) {
        return step(java.util.Collections.singletonList(batch), null);
    }

    private static float[][] mask(List<float[][]> masks, int i) {
        return masks == null ? null : masks.get(i);
    }

    /** The flat fp32 weights the optimizer steps (the master weights when the model trains in bf16/fp16). */
    public float[] params() {
        return params;
    }

    public float[] expAvg() {
        return expAvg;
    }

    public float[] expAvgSq() {
        return expAvgSq;
    }

    public int stepsDone() {
        return step;
    }
}
