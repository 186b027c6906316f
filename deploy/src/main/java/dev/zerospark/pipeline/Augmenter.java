package dev.zerospark.pipeline;

import org.apache.spark.sql.SparkSession;

/**
 * What the augment stage runs: self-instruct targets for the new articles without one. Plugs in through
 * {@link PipelineStages#withAugmenter}; without one, {@code pipeline.stages.augment: true} is a config error.
 */
public interface Augmenter {
    /** @param articlesTable the {@code articles} table, at {@code articlesVersion} after this run's prepare stage */
    record Request(String articlesTable, long articlesVersion, String runId) {}

    /** Targets written, and the table they went to with its version after the call. */
    record Outcome(long written, String table, long tableVersion) {}

    Outcome augment(SparkSession spark, Request request) throws Exception;
}
