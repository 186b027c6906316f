package dev.zerospark.pipeline;

import dev.zerospark.config.ZeroSparkConfig;
import dev.zerospark.pipeline.internal.PipelineRunner;
import org.apache.spark.sql.SparkSession;

/**
 * The retraining pipeline of {@code pipeline.name}: prepare, augment, train, eval, promote, generate, each recorded
 * in {@code pipeline_runs}. One run at a time per {@code <registry>/<name>}, guarded by a lease file there.
 */
public interface Pipeline {
    /** Checks the config (a {@link dev.zerospark.config.ConfigException} naming the key); runs nothing yet. */
    static Pipeline create(SparkSession spark, ZeroSparkConfig config, PipelineStages stages) {
        return PipelineRunner.create(spark, config, stages);
    }

    /**
     * Runs {@code runId}, or a new run when it is null. A run id with records resumes at its first stage that did
     * not succeed or get skipped. A failed stage ends the run with {@link PipelineSummary.Outcome#FAILED}; a lease
     * held by another live run throws {@link LeaseHeldException} before anything runs.
     */
    PipelineSummary run(String runId);

    PipelineRuns runs();
}
