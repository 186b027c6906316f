package dev.zerospark.zero;

import dev.zerospark.collective.Collective;
import dev.zerospark.train.LossSum;
import dev.zerospark.train.TrainableModel;

import java.util.List;

/**
 * One optimizer step from a rank's micro-batches: the one place a training step is written, used by the trainer
 * ({@code RankTrainer}), {@code verify-training} ({@link TrainingVerifier}) and {@code bench train-step}, so the
 * fixture parity checks prove the production path.
 *
 * <p>The predicted tokens are counted over all ranks first; every micro-batch's backward is scaled by 1/(global
 * tokens) (times the fp16 loss scale), so the gradients summed over micro-batches and ranks are those of the
 * global mean loss. Gradients accumulate in the model's tensors and are reduced by the {@link ZeroOptimizer}, which
 * clips, runs AdamW and writes the new weights into the model in place.
 */
public final class TrainStep {
    /** One micro-batch: (B, T) token ids and an optional (B, T) loss mask (null: every label counts). */
    public record MicroBatch(int[][] ids, float[][] lossMask) {}

    /**
     * What the step did: the global mean loss, the global token count, the optimizer's result, the learning rate,
     * and this rank's seconds in forward+backward and in reduce+clip+AdamW+weight update (collectives included).
     */
    public record Result(double loss, double globalTokens, ZeroOptimizer.StepResult optimizer, double lr,
                         double computeSeconds, double optimizerSeconds) {
        public double gradNorm() {
            return optimizer.gradNorm();
        }

        public boolean skipped() {
            return optimizer.skipped();
        }
    }

    private final Collective collective;
    private final TrainableModel model;
    private final ZeroOptimizer zero;

    public TrainStep(Collective collective, TrainableModel model, ZeroOptimizer zero) {
        this.collective = collective;
        this.model = model;
        this.zero = zero;
    }

    public ZeroOptimizer optimizer() {
        return zero;
    }

    /** Runs one step on this rank's micro-batches (every rank calls it, with the same number of them). */
    public Result run(List<MicroBatch> microBatches, double lr) {
        return run(microBatches, lr, () -> {});
    }

    /**
     * {@link #run(List, double)}, calling {@code computeDone} after the last backward and before its gradients
     * are reduced and the optimizer steps ({@code bench memory} samples the activations' peak there).
     */
    public Result run(List<MicroBatch> microBatches, double lr, Runnable computeDone) {
        long localTokens = 0;
        for (MicroBatch mb : microBatches) {
            localTokens += TrainableModel.countTargets(mb.ids(), mb.lossMask());
        }
        double globalTokens = collective.sumAcrossRanks(localTokens);
        if (globalTokens == 0) {
            throw new IllegalArgumentException("optimizer step " + (zero.stepsDone() + 1)
                    + " has no predicted tokens on any rank (every label is masked)");
        }
        float gradScale = (float) (zero.lossScale() / globalTokens);
        double lossSum = 0;
        long computeNanos = 0;
        for (int i = 0; i < microBatches.size(); i++) {
            MicroBatch mb = microBatches.get(i);
            long t0 = System.nanoTime();
            LossSum loss = model.forwardBackward(mb.ids(), mb.lossMask(), gradScale);
            computeNanos += System.nanoTime() - t0;
            lossSum += loss.sum();
            if (i == microBatches.size() - 1) {
                computeDone.run(); // before the last reduction: what it allocates is not forward+backward's
            }
            zero.accumulate();
        }
        long o0 = System.nanoTime();
        ZeroOptimizer.StepResult result = zero.step(lr);
        double optimizerSeconds = (System.nanoTime() - o0) / 1e9;
        double loss = collective.sumAcrossRanks(lossSum) / globalTokens;
        return new Result(loss, globalTokens, result, lr, computeNanos / 1e9, optimizerSeconds);
    }
}
