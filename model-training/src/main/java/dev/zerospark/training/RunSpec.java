package dev.zerospark.training;

import dev.zerospark.collective.CollectiveConfig;
import dev.zerospark.collective.WireFormat;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.model.Precision;
import dev.zerospark.optim.AdamWConfig;
import dev.zerospark.optim.LrSchedule;
import dev.zerospark.zero.DynamicLossScaler;

import java.io.Serializable;
import java.time.Duration;
import java.util.Locale;

/**
 * Everything a rank needs to know about the run, resolved on the driver and shipped with the barrier tasks
 * (config records stay on the driver; this is the serializable subset).
 *
 * @param resumeStep the checkpoint step to start from, or -1 for a fresh start
 * @param runId the id every manifest of this run records; retention keeps only this run's steps
 * @param failAtStep fault injection for tests: rank {@code failRank} dies before this step on attempt 0; -1 never
 * @param fault what the injected failure is
 * @param offloadOptimizer keep the optimizer's master weights, moments and range gradients in host memory
 * @param precision train.precision: fp32, or bf16/fp16 mixed precision
 * @param lossScaling train.fp16 (read when precision is fp16)
 */
public record RunSpec(int worldSize, int zeroStage, int steps, int microBatch, int gradAccum, long seed, int threads,
                      double lr, double minLr, int warmup, String decay, double beta1, double beta2, double eps,
                      double weightDecay, double gradClip, int bucketElements, String checkpointRoot,
                      int checkpointInterval, int keepLast, int evalInterval, int evalBatches, String runDir,
                      long resumeStep, String runId, Duration collectiveTimeout, int logEvery,
                      String configJson, int attempt, long failAtStep, int failRank, Fault fault, String commDtype,
                      boolean frameMac, boolean offloadOptimizer, String precision,
                      DynamicLossScaler.Settings lossScaling)
        implements Serializable {

    /** Injected failures (tests): one that a restart can pass, and one of each kind that must fail at once. */
    public enum Fault {
        /** As if the task or its executor were lost. */
        LOST_TASK,
        /** A programming error in the rank. */
        BUG,
        /** A config error only the rank can see. */
        CONFIG
    }

    static RunSpec from(TrainConfig t, String configJson, String runId, long resumeStep) {
        var o = t.optimizer();
        return new RunSpec(t.worldSize(), t.zero().stage(), t.steps(), t.microBatchSize(), t.gradAccum(), t.seed(),
                t.threads(), o.lr(), o.minLr(), o.warmupSteps(), o.schedule(), o.betas().get(0), o.betas().get(1),
                o.eps(), o.weightDecay(), o.gradientClipping(),
                (int) Math.min(Integer.MAX_VALUE, t.zero().reduceBucketSize()), t.checkpointDir(),
                t.checkpointInterval(), t.keepLast(), t.evalInterval(), 4, t.runDir(), resumeStep, runId,
                Duration.ofSeconds(t.collectiveTimeoutS()), Math.max(1, Math.min(10, t.steps() / 20)), configJson, 0, -1, 0,
                Fault.LOST_TASK, t.zero().communicationDataType(), t.frameMac(),
                t.zero().offloadOptimizer().equals("cpu"), t.precision(), DynamicLossScaler.Settings.of(t.fp16()));
    }

    RunSpec withFault(long step, int rank, Fault kind) {
        return new RunSpec(worldSize, zeroStage, steps, microBatch, gradAccum, seed, threads, lr, minLr, warmup, decay,
                beta1, beta2, eps, weightDecay, gradClip, bucketElements, checkpointRoot, checkpointInterval, keepLast,
                evalInterval, evalBatches, runDir, resumeStep, runId, collectiveTimeout, logEvery, configJson,
                attempt, step, rank, kind, commDtype, frameMac, offloadOptimizer, precision, lossScaling);
    }

    RunSpec resumingAt(long step, int nextAttempt) {
        return new RunSpec(worldSize, zeroStage, steps, microBatch, gradAccum, seed, threads, lr, minLr, warmup, decay,
                beta1, beta2, eps, weightDecay, gradClip, bucketElements, checkpointRoot, checkpointInterval, keepLast,
                evalInterval, evalBatches, runDir, step, runId, collectiveTimeout, logEvery, configJson,
                nextAttempt, failAtStep, failRank, fault, commDtype, frameMac, offloadOptimizer, precision,
                lossScaling);
    }

    /** How this rank's collective runs: the run's timeout, reduction wire format and frame MAC setting. */
    CollectiveConfig collectiveConfig(String bindAddress) {
        return new CollectiveConfig(collectiveTimeout, bindAddress, CollectiveConfig.DEFAULT_CHUNK_BYTES,
                WireFormat.parse(commDtype), frameMac);
    }

    /** The fp16 loss scaler of a fresh run, or null when gradients are not loss-scaled (fp32, bf16). */
    DynamicLossScaler lossScaler() {
        return lossScaled() ? lossScaling.create() : null;
    }

    /** Whether the run scales its loss (fp16). */
    boolean lossScaled() {
        return Precision.of(precision) == Precision.FP16;
    }

    AdamWConfig adamW() {
        return new AdamWConfig(beta1, beta2, eps, weightDecay);
    }

    LrSchedule schedule() {
        return new LrSchedule(lr, minLr, warmup, steps, LrSchedule.Decay.valueOf(decay.toUpperCase(Locale.ROOT)));
    }
}
