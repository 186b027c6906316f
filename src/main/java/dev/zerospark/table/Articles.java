package dev.zerospark.table;

import static dev.zerospark.table.TableContract.Column.optional;

import dev.zerospark.table.TableContract.ColumnType;
import java.util.List;

/** The table {@code prepare} writes its clean, deduplicated articles to: one row per distinct content. */
public final class Articles {
    public static final String ARTICLE_ID = "article_id";
    /** sha256 of the normalized text: the key, so a rerun and an exact duplicate add nothing. */
    public static final String CONTENT_HASH = "content_hash";
    public static final String TITLE = "title";
    public static final String TEXT = "text";
    public static final String PUBLISHED = "published";
    public static final String URL = "url";
    /** The optional SFT target (a riddle, a summary); articles with one also get an {@code sft_pairs} row. */
    public static final String TARGET = "target";
    public static final String SOURCE_FILE = "source_file";
    public static final String SOURCE_OFFSET = "source_offset";
    public static final String RUN_ID = "run_id";
    public static final String MINHASH = "minhash";
    public static final String LSH = "lsh";
    /** {@code train} or {@code validation}, by a hash of the article id. */
    public static final String SPLIT = "split";
    /** Tokens of the LM text (title, blank line, body, EOS). */
    public static final String N_TOKENS = "n_tokens";
    public static final String INGESTED_AT = "ingested_at";

    /** Every column nullable, as the table has always been created (from the cleaning stage's rows). */
    public static final TableContract CONTRACT = new TableContract("articles", List.of(
            optional(ARTICLE_ID, ColumnType.STRING),
            optional(CONTENT_HASH, ColumnType.STRING),
            optional(TITLE, ColumnType.STRING),
            optional(TEXT, ColumnType.STRING),
            optional(PUBLISHED, ColumnType.STRING),
            optional(URL, ColumnType.STRING),
            optional(TARGET, ColumnType.STRING),
            optional(SOURCE_FILE, ColumnType.STRING),
            optional(SOURCE_OFFSET, ColumnType.LONG),
            optional(RUN_ID, ColumnType.STRING),
            optional(MINHASH, ColumnType.INT_ARRAY),
            optional(LSH, ColumnType.LONG_ARRAY),
            optional(SPLIT, ColumnType.STRING),
            optional(N_TOKENS, ColumnType.INT),
            optional(INGESTED_AT, ColumnType.TIMESTAMP)),
            List.of(CONTENT_HASH));

    /** The values of {@link #SPLIT} (also in {@code lm_blocks} and {@code sft_pairs}). */
    public static final String TRAIN = "train";
    public static final String VALIDATION = "validation";

    private Articles() {}
}
