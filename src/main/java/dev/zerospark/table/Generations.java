package dev.zerospark.table;

import static dev.zerospark.table.TableContract.Column.optional;
import static dev.zerospark.table.TableContract.Column.required;

import dev.zerospark.table.TableContract.ColumnType;
import java.util.List;

/** The table {@code generate} writes: one row per (article, model, template, parameters). */
public final class Generations {
    public static final String ARTICLE_ID = "article_id";
    public static final String CONTENT_HASH = "content_hash";
    public static final String INPUT_VERSION = "input_version";
    /** The template id (riddle, few-shot, instruct, a file's id, or service). */
    public static final String PIPELINE = "pipeline";
    /** sha256 over the model's weight files, so two copies of one model share an id. */
    public static final String MODEL_ID = "model_id";
    /** sha256 over the generation parameters that change the output. */
    public static final String PARAMS_HASH = "params_hash";
    public static final String SEED = "seed";
    public static final String PROMPT = "prompt";
    public static final String PROMPT_TOKENS = "prompt_tokens";
    public static final String TRUNCATED = "truncated";
    public static final String COMPLETION = "completion";
    public static final String COMPLETION_TOKENS = "completion_tokens";
    /** One of {@code eos}, {@code stop}, {@code length}, {@code error}. */
    public static final String FINISH_REASON = "finish_reason";
    public static final String ERROR = "error";
    public static final String RUN_ID = "run_id";
    public static final String GENERATED_AT = "generated_at";

    public static final TableContract CONTRACT = new TableContract("generations", List.of(
            required(ARTICLE_ID, ColumnType.STRING),
            optional(CONTENT_HASH, ColumnType.STRING),
            required(INPUT_VERSION, ColumnType.LONG),
            required(PIPELINE, ColumnType.STRING),
            required(MODEL_ID, ColumnType.STRING),
            required(PARAMS_HASH, ColumnType.STRING),
            required(SEED, ColumnType.LONG),
            optional(PROMPT, ColumnType.STRING),
            required(PROMPT_TOKENS, ColumnType.INT),
            required(TRUNCATED, ColumnType.BOOLEAN),
            optional(COMPLETION, ColumnType.STRING),
            required(COMPLETION_TOKENS, ColumnType.INT),
            required(FINISH_REASON, ColumnType.STRING),
            optional(ERROR, ColumnType.STRING),
            required(RUN_ID, ColumnType.STRING),
            required(GENERATED_AT, ColumnType.TIMESTAMP)),
            List.of(ARTICLE_ID, MODEL_ID, PIPELINE, PARAMS_HASH));

    private Generations() {}
}
