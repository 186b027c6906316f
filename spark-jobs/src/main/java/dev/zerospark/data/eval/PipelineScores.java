package dev.zerospark.data.eval;

import dev.zerospark.eval.Bootstrap;
import java.util.Map;

/**
 * One compared (pipeline, model): ROUGE F means with their bootstrap intervals, by type ({@code rouge1} ...), and counts.
 *
 * @param pairs generations joined with a reference and scored (error rows score as an empty prediction)
 * @param latencyMsMean the mean of the generations' {@code latency_ms}, or null when the table has no such column
 * @param perplexity the model's perplexity on the --data split, or null when not asked for or not a local model
 */
public record PipelineScores(String pipeline, String modelId, long pairs, long errors, long truncated,
                             Double latencyMsMean, Map<String, Bootstrap.Interval> rougeF, Double perplexity) {
    /** The label the report shows: the pipeline, and the model id's first 8 characters when a pipeline has several. */
    public String label(boolean withModel) {
        return withModel ? pipeline + " / " + modelId.substring(0, Math.min(8, modelId.length())) : pipeline;
    }
}
