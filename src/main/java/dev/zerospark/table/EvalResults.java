package dev.zerospark.table;

import static dev.zerospark.table.TableContract.Column.optional;
import static dev.zerospark.table.TableContract.Column.required;

import dev.zerospark.table.TableContract.ColumnType;
import java.util.List;

/**
 * The table {@code eval compare} appends to: one row per (run, pipeline, model, metric), long format so a metric a
 * pipeline lacks (perplexity of a remote model, latency the generations table does not record) is simply absent.
 */
public final class EvalResults {
    public static final String RUN_ID = "run_id";
    public static final String PIPELINE = "pipeline";
    public static final String MODEL_ID = "model_id";
    /** {@code rouge1_f}, {@code rouge2_f}, {@code rougeL_f}, {@code rougeLsum_f}, {@code perplexity}, {@code pairs}, ... */
    public static final String METRIC = "metric";
    public static final String VALUE = "value";
    /** The bootstrap 95% interval's ends, for the ROUGE means; null otherwise. */
    public static final String CI_LOW = "ci_low";
    public static final String CI_HIGH = "ci_high";
    /** The rows the value is over (scored pairs, generations, validation tokens for perplexity). */
    public static final String N = "n";
    public static final String GENERATIONS = "generations";
    public static final String GENERATIONS_VERSION = "generations_version";
    public static final String REFERENCES = "references";
    public static final String REFERENCES_VERSION = "references_version";
    public static final String BOOTSTRAP_RESAMPLES = "bootstrap_resamples";
    public static final String BOOTSTRAP_SEED = "bootstrap_seed";
    public static final String EVALUATED_AT = "evaluated_at";

    public static final String ROUGE1_F = "rouge1_f";
    public static final String ROUGE2_F = "rouge2_f";
    public static final String ROUGEL_F = "rougeL_f";
    public static final String ROUGELSUM_F = "rougeLsum_f";
    public static final String PERPLEXITY = "perplexity";
    /** Generations joined with a reference and scored (error rows included, scored as an empty prediction). */
    public static final String PAIRS = "pairs";
    public static final String ERRORS = "errors";
    public static final String TRUNCATED = "truncated";
    /** Mean of the generations table's {@link #LATENCY_COLUMN}, only when the table has that column. */
    public static final String LATENCY_MS_MEAN = "latency_ms_mean";
    /** The generations column latency is read from when present (generate's local pipelines do not record it). */
    public static final String LATENCY_COLUMN = "latency_ms";

    public static final TableContract CONTRACT = new TableContract("eval_results", List.of(
            required(RUN_ID, ColumnType.STRING),
            required(PIPELINE, ColumnType.STRING),
            required(MODEL_ID, ColumnType.STRING),
            required(METRIC, ColumnType.STRING),
            required(VALUE, ColumnType.DOUBLE),
            optional(CI_LOW, ColumnType.DOUBLE),
            optional(CI_HIGH, ColumnType.DOUBLE),
            required(N, ColumnType.LONG),
            required(GENERATIONS, ColumnType.STRING),
            required(GENERATIONS_VERSION, ColumnType.LONG),
            required(REFERENCES, ColumnType.STRING),
            required(REFERENCES_VERSION, ColumnType.LONG),
            required(BOOTSTRAP_RESAMPLES, ColumnType.INT),
            required(BOOTSTRAP_SEED, ColumnType.LONG),
            required(EVALUATED_AT, ColumnType.TIMESTAMP)),
            List.of(RUN_ID, PIPELINE, MODEL_ID, METRIC));

    private EvalResults() {}
}
