package dev.zerospark.pipeline;

import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;
import java.util.Set;

/**
 * Scores one model on the evaluation set. The eval stage calls every evaluator it was given once for the candidate
 * and once for the champion (when there is one), each with a local copy of the model, and merges their results.
 * Implementations: {@code PerplexityEvaluator} and {@code RougeLEvaluator} (a greedy riddle per held-out sft_pairs
 * prompt, scored against its response with {@link dev.zerospark.eval.RougeScorer}); more plug in through
 * {@link PipelineStages#withEvaluator}.
 */
public interface Evaluator {
    /** The metric names {@link #evaluate} returns (see {@link EvalResult}). */
    Set<String> metrics();

    /**
     * @param model a local HF model directory (config.json, model.safetensors, tokenizer.json when the run had one)
     * @param set   the pinned evaluation set
     */
    EvalResult evaluate(SparkSession spark, Path model, EvalSet set) throws Exception;
}
