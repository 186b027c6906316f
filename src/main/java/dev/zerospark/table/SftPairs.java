package dev.zerospark.table;

import static dev.zerospark.table.TableContract.Column.optional;

import dev.zerospark.table.TableContract.ColumnType;
import java.util.List;

/**
 * The table of supervised fine-tuning pairs {@code prepare} writes (one per article with a target) and
 * {@code train} reads: {@link #PROMPT} is the template rendered for the article ({@code render(...).text()}) and
 * the first {@link #PROMPT_TOKENS} of {@link #INPUT_IDS} are its ids; the response follows, then padding.
 */
public final class SftPairs {
    /** The key: the article's content hash. */
    public static final String CONTENT_HASH = "content_hash";
    public static final String ARTICLE_ID = "article_id";
    public static final String SPLIT = "split";
    public static final String PROMPT = "prompt";
    /** The target text (the riddle), without the leading space and EOS its ids carry. */
    public static final String RESPONSE = "response";
    /** seq_len ids: prompt, response (with EOS), padding. */
    public static final String INPUT_IDS = "input_ids";
    /** seq_len flags: 1 on response tokens (and their EOS), 0 on prompt and padding. */
    public static final String LOSS_MASK = "loss_mask";
    public static final String PROMPT_TOKENS = "prompt_tokens";
    public static final String RUN_ID = "run_id";

    /** Table property: the id of the template the prompts were rendered with. */
    public static final String TEMPLATE_ID_PROPERTY = "zerospark.template.id";
    /** Table property: the sha256 (hex) of that template's text. */
    public static final String TEMPLATE_SHA256_PROPERTY = "zerospark.template.sha256";

    /** Every column nullable, as the table has always been created (from the encoder's rows). */
    public static final TableContract CONTRACT = new TableContract("sft_pairs", List.of(
            optional(CONTENT_HASH, ColumnType.STRING),
            optional(ARTICLE_ID, ColumnType.STRING),
            optional(SPLIT, ColumnType.STRING),
            optional(PROMPT, ColumnType.STRING),
            optional(RESPONSE, ColumnType.STRING),
            optional(INPUT_IDS, ColumnType.INT_ARRAY),
            optional(LOSS_MASK, ColumnType.INT_ARRAY),
            optional(PROMPT_TOKENS, ColumnType.INT),
            optional(RUN_ID, ColumnType.STRING)),
            List.of(CONTENT_HASH));

    private SftPairs() {}
}
