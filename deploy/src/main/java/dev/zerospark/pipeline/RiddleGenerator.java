package dev.zerospark.pipeline;

import org.apache.spark.sql.SparkSession;

/**
 * What the generate stage runs: riddles from the champion for the articles that have none from it. Plugs in through
 * {@link PipelineStages#withGenerator}; without one, {@code pipeline.stages.generate: true} is a config error.
 * Must be resumable: a rerun after a failure writes only what is missing (the generate job keys its rows by
 * article_id, model_id, pipeline and params_hash).
 */
public interface RiddleGenerator {
    /**
     * @param modelUri      the champion's HF directory ({@code <registry>/<name>/v<N>}), any Hadoop URI
     * @param modelId       the champion's id, {@code <name>/v<N>}
     * @param articlesTable the {@code articles} Delta table prepare wrote
     * @param articlesVersion its version after this run's prepare stage
     * @param riddlesTable  the Delta table the riddles go to ({@code pipeline.riddles})
     * @param runId         the pipeline run
     */
    record Request(String modelUri, String modelId, String articlesTable, long articlesVersion, String riddlesTable, String runId) {}

    /** Riddles this call wrote, and the riddles table with its version after the call. */
    record Outcome(long written, String table, long tableVersion) {}

    Outcome generate(SparkSession spark, Request request) throws Exception;
}
