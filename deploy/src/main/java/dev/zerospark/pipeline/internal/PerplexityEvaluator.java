package dev.zerospark.pipeline.internal;

import ai.djl.ndarray.NDManager;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.ModelLoader;
import dev.zerospark.pipeline.EvalResult;
import dev.zerospark.pipeline.EvalSet;
import dev.zerospark.pipeline.Evaluator;
import dev.zerospark.train.LossSum;
import dev.zerospark.train.TokenNll;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.apache.spark.sql.functions.col;

/**
 * Perplexity on the evaluation set's validation split: forward passes only ({@link TokenNll}, the loss train's
 * validation and {@code eval perplexity} use), exp of the mean next-token NLL over
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
        int[][] ids = new int[rows.size()][];
        float[][] weights = masked ? new float[rows.size()][] : null;
        for (int b = 0; b < rows.size(); b++) {
            List<Integer> row = rows.get(b).getList(0);
            ids[b] = row.stream().mapToInt(Integer::intValue).toArray();
            if (ids[b].length != ids[0].length) throw new IllegalArgumentException(where + ": validation rows differ in length (" + ids[b].length + " and " + ids[0].length + ")");
            if (masked) {
                List<Number> lossMask = rows.get(b).getList(1);
                weights[b] = new float[lossMask.size()];
                for (int j = 0; j < weights[b].length; j++) weights[b][j] = lossMask.get(j).floatValue();
            }
        }
        LossSum loss;
        try (NDManager manager = NDManager.newBaseManager(); CausalLm lm = ModelLoader.load(model, manager)) {
            int vocab = lm.config().vocabSize();
            if (ids[0].length > lm.config().maxPositions()) {
                throw new IllegalArgumentException(where + " has rows of " + ids[0].length + " tokens, more than the model's "
                        + lm.config().maxPositions() + " positions");
            }
            for (int[] row : ids) {
                for (int id : row) {
                    if (id < 0 || id >= vocab) throw new IllegalArgumentException(where + " holds token id " + id + ", outside the model's vocabulary of " + vocab);
                }
            }
            int perPass = (int) Math.max(1, Math.min(BATCH, MAX_LOGITS / ((long) ids[0].length * vocab)));
            loss = TokenNll.over(lm, ids, weights, perPass);
        }
        double tokens = loss.tokens();
        double nll = loss.sum();
        if (tokens == 0) throw new IllegalArgumentException(where + ": no validation token carries loss (every loss_mask is 0)");
        return new EvalResult(Map.of(EvalResult.PERPLEXITY, Math.exp(nll / tokens)));
    }
}
