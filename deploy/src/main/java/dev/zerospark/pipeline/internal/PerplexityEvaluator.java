package dev.zerospark.pipeline.internal;

import ai.djl.ndarray.NDManager;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.ModelLoader;
import dev.zerospark.pipeline.EvalResult;
import dev.zerospark.pipeline.EvalSet;
import dev.zerospark.pipeline.Evaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.apache.spark.sql.functions.col;

/**
 * Perplexity on the evaluation set's validation split: forward passes only, exp of the mean next-token NLL over
 * every scored token (lm_blocks rows: every next token; sft_pairs rows: the tokens their loss_mask marks, as training
 * weighs them). Rows in a fixed order (by block_id or content_hash), at most {@code maxRows}, on the driver.
 */
public final class PerplexityEvaluator implements Evaluator {
    /** Rows per forward pass at most; fewer when their logits would pass {@link #MAX_LOGITS}. */
    private static final int BATCH = 8;
    /** Logit floats one forward pass may return (128 MiB): a 50k vocabulary and 512 tokens allow one row at a time. */
    private static final long MAX_LOGITS = 32L << 20;

    @Override
    public Set<String> metrics() {
        return Set.of(EvalResult.PERPLEXITY);
    }

    @Override
    public EvalResult evaluate(SparkSession spark, Path model, EvalSet set) throws Exception {
        Dataset<Row> df = spark.read().format("delta").option("versionAsOf", set.version()).load(set.table());
        List<String> cols = List.of(df.columns());
        String where = "eval set " + set.table() + " version " + set.version();
        if (!cols.contains("input_ids") || !cols.contains("split")) {
            throw new IllegalArgumentException(where + " is not an lm_blocks or sft_pairs table: it lacks input_ids or split (columns: " + cols + ")");
        }
        boolean masked = cols.contains("loss_mask");
        String order = cols.contains("block_id") ? "block_id" : cols.contains("content_hash") ? "content_hash" : "input_ids";
        List<Row> rows = (masked ? df.select("input_ids", "loss_mask", "split", order) : df.select("input_ids", "split", order))
                .filter(col("split").equalTo("validation")).orderBy(order).limit(set.maxRows()).collectAsList();
        if (rows.isEmpty()) throw new IllegalArgumentException(where + " has no rows with split = 'validation'");
        double nll = 0;
        double tokens = 0;
        try (NDManager manager = NDManager.newBaseManager(); CausalLm lm = ModelLoader.load(model, manager)) {
            int vocab = lm.config().vocabSize();
            int rowTokens = rows.get(0).<Integer>getList(0).size();
            int perPass = (int) Math.max(1, Math.min(BATCH, MAX_LOGITS / ((long) rowTokens * vocab)));
            for (int from = 0; from < rows.size(); from += perPass) {
                List<Row> batch = rows.subList(from, Math.min(rows.size(), from + perPass));
                int t = batch.get(0).<Integer>getList(0).size() - 1;
                if (t + 1 > lm.config().maxPositions()) {
                    throw new IllegalArgumentException(where + " has rows of " + (t + 1) + " tokens, more than the model's "
                            + lm.config().maxPositions() + " positions");
                }
                long[][] ids = new long[batch.size()][t];
                long[][] mask = new long[batch.size()][t];
                int[][] labels = new int[batch.size()][t];
                float[][] weights = new float[batch.size()][t];
                for (int b = 0; b < batch.size(); b++) {
                    List<Integer> row = batch.get(b).getList(0);
                    if (row.size() != t + 1) throw new IllegalArgumentException(where + ": validation rows differ in length (" + row.size() + " and " + (t + 1) + ")");
                    List<Number> lossMask = masked ? batch.get(b).getList(1) : null;
                    for (int j = 0; j <= t; j++) {
                        int id = row.get(j);
                        if (id < 0 || id >= vocab) throw new IllegalArgumentException(where + " holds token id " + id + ", outside the model's vocabulary of " + vocab);
                        if (j < t) {
                            ids[b][j] = id;
                            mask[b][j] = 1;
                        }
                        if (j > 0) {
                            labels[b][j - 1] = id;
                            weights[b][j - 1] = lossMask == null ? 1f : lossMask.get(j).floatValue();
                        }
                    }
                }
                float[] logits = lm.logits(ids, mask);
                for (int b = 0; b < batch.size(); b++) {
                    for (int j = 0; j < t; j++) {
                        if (weights[b][j] == 0f) continue;
                        int off = (b * t + j) * vocab;
                        double max = Double.NEGATIVE_INFINITY;
                        for (int v = 0; v < vocab; v++) max = Math.max(max, logits[off + v]);
                        double sum = 0;
                        for (int v = 0; v < vocab; v++) sum += Math.exp(logits[off + v] - max);
                        nll += weights[b][j] * (max + Math.log(sum) - logits[off + labels[b][j]]);
                        tokens += weights[b][j];
                    }
                }
            }
        }
        if (tokens == 0) throw new IllegalArgumentException(where + ": no validation token carries loss (every loss_mask is 0)");
        return new EvalResult(Map.of(EvalResult.PERPLEXITY, Math.exp(nll / tokens)));
    }
}
