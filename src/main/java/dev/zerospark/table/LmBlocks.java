package dev.zerospark.table;

import static dev.zerospark.table.TableContract.Column.required;

import dev.zerospark.table.TableContract.ColumnType;
import java.util.List;

/** The table of packed causal-LM blocks {@code prepare} writes and {@code train} reads: seq_len + 1 tokens a row. */
public final class LmBlocks {
    /** A hash of the split, the first document of the block's run of tokens and the block's index there. */
    public static final String BLOCK_ID = "block_id";
    /** {@code train} or {@code validation} ({@link Articles#TRAIN}, {@link Articles#VALIDATION}). */
    public static final String SPLIT = "split";
    public static final String INPUT_IDS = "input_ids";
    public static final String RUN_ID = "run_id";

    public static final TableContract CONTRACT = new TableContract("lm_blocks", List.of(
            required(BLOCK_ID, ColumnType.STRING),
            required(SPLIT, ColumnType.STRING),
            required(INPUT_IDS, ColumnType.INT_ARRAY),
            required(RUN_ID, ColumnType.STRING)),
            List.of(BLOCK_ID));

    private LmBlocks() {}
}
