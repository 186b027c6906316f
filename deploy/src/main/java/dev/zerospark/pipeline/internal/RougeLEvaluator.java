package dev.zerospark.pipeline.internal;

import dev.zerospark.eval.RougeScorer;
import dev.zerospark.generate.GenerationOptions;
import dev.zerospark.generate.TextCompleter;
import dev.zerospark.pipeline.EvalResult;
import dev.zerospark.pipeline.EvalSet;
import dev.zerospark.pipeline.Evaluator;
import dev.zerospark.template.PromptTemplates;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.apache.spark.sql.functions.col;

/**
 * ROUGE-L on the evaluation set's validation split of {@code sft_pairs}: each row's prompt (its first
 * {@code prompt_tokens} input ids: the riddle template over the article, cut as training saw it) is completed
 * greedily, cut at the riddle template's stop strings, and scored against the row's {@code response}, the reference
 * riddle, with {@link RougeScorer} (Google rouge-score, Porter stemmer); the metric is the mean ROUGE-L F1 over the
 * rows. Rows in {@code content_hash} order, at most {@code maxRows}, on the driver. An eval set without references
 * (lm_blocks) gives no rouge_l: promotion on it then fails naming the metric.
 */
public final class RougeLEvaluator implements Evaluator {
    private static final Logger LOG = LoggerFactory.getLogger(RougeLEvaluator.class);
    /** Prompts per generate call. */
    private static final int BATCH = 8;
    static final List<String> COLUMNS = List.of("input_ids", "prompt_tokens", "response", "split", "content_hash");
    private final int maxNewTokens;

    /** @param maxNewTokens riddle tokens generated at most ({@code generate.max_new_tokens}) */
    public RougeLEvaluator(int maxNewTokens) {
        this.maxNewTokens = maxNewTokens;
    }

    /** One scored row: the reference riddle and the model's. */
    record Prediction(String contentHash, String reference, String prediction) {}

    @Override
    public Set<String> metrics() {
        return Set.of(EvalResult.ROUGE_L);
    }

    @Override
    public EvalResult evaluate(SparkSession spark, Path model, EvalSet set) throws Exception {
        List<Prediction> predictions = predict(spark, model, set);
        if (predictions.isEmpty()) return new EvalResult(Map.of());
        RougeScorer scorer = RougeScorer.create(true);
        double sum = 0;
        for (Prediction p : predictions) sum += scorer.score(p.reference(), p.prediction()).rougeL().f();
        return new EvalResult(Map.of(EvalResult.ROUGE_L, sum / predictions.size()));
    }

    /** The model's greedy riddles for the set's validation rows; empty when the set has no reference riddles. */
    List<Prediction> predict(SparkSession spark, Path model, EvalSet set) throws Exception {
        var df = spark.read().format("delta").option("versionAsOf", set.version()).load(set.table());
        List<String> cols = List.of(df.columns());
        String where = "eval set " + set.table() + " version " + set.version();
        if (!cols.containsAll(COLUMNS)) {
            LOG.info("{} has no reference riddles (rouge_l needs an sft_pairs table with {}; columns: {}): no rouge_l", where, COLUMNS, cols);
            return List.of();
        }
        List<Row> rows = df.select("input_ids", "prompt_tokens", "response", "content_hash")
                .where(col("split").equalTo("validation").and(col("response").isNotNull()))
                .orderBy("content_hash").limit(set.maxRows()).collectAsList();
        if (rows.isEmpty()) throw new IllegalArgumentException(where + " has no rows with split = 'validation' and a response to score rouge_l against");
        List<Prediction> out = new ArrayList<>(rows.size());
        try (TextCompleter completer = TextCompleter.open(model)) {
            GenerationOptions greedy = completer.options(maxNewTokens, 0, 0, 1, 0, PromptTemplates.RIDDLE.stop());
            for (int from = 0; from < rows.size(); from += BATCH) {
                List<Row> batch = rows.subList(from, Math.min(rows.size(), from + BATCH));
                int[][] prompts = new int[batch.size()][];
                for (int b = 0; b < batch.size(); b++) {
                    List<Integer> ids = batch.get(b).getList(0);
                    int n = batch.get(b).getInt(1);
                    if (n < 1 || n > ids.size()) throw new IllegalArgumentException(where + " row " + batch.get(b).getString(3) + " has prompt_tokens " + n + " of " + ids.size() + " input ids");
                    prompts[b] = ids.subList(0, n).stream().mapToInt(Integer::intValue).toArray();
                }
                List<TextCompleter.Completion> done = completer.completeTokens(prompts, greedy, TextCompleter.Truncation.LEFT);
                for (int b = 0; b < batch.size(); b++) {
                    out.add(new Prediction(batch.get(b).getString(3), batch.get(b).getString(2), done.get(b).text().strip()));
                }
            }
        }
        return out;
    }
}
