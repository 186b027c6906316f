package dev.zerospark.training.data;

import dev.zerospark.config.ConfigException;
import dev.zerospark.data.NotADeltaTableException;
import dev.zerospark.table.Articles;
import dev.zerospark.table.LmBlocks;
import dev.zerospark.table.SftPairs;
import io.delta.tables.DeltaTable;
import dev.zerospark.tokenizer.TokenizerProvenance;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import dev.zerospark.training.data.internal.MemoryBatches;
import org.apache.hadoop.conf.Configuration;
import java.util.List;
import scala.Option;

import static org.apache.spark.sql.functions.col;

/**
 * The token blocks of one training run, read on the driver from a Delta table pinned to one version (which every
 * checkpoint records, so a resume reads exactly the same rows) and shipped to the ranks.
 *
 * <p>Reads {@code lm_blocks} (input_ids of seq_len + 1, loss on every next token) or {@code sft_pairs}
 * (input_ids + loss_mask). Rows are ordered by their stable id so row i means the same block on every run.
 * The whole table travels to every rank in a broadcast: right for fine-tuning sets up to a few GB of tokens.
 *
 * @param tokenizer the tokenizer the table's properties record at that version, or null when it records none
 *                  (written before prepare recorded it, or made by hand)
 */
public record TrainingTable(String uri, long version, int[][] train, float[][] trainMask,
                            int[][] validation, float[][] validationMask, TokenizerProvenance tokenizer) implements TrainingData {

    /** A table that records no tokenizer (synthetic data in tests and benchmarks). */
    public TrainingTable(String uri, long version, int[][] train, float[][] trainMask, int[][] validation, float[][] validationMask) {
        this(uri, version, train, trainMask, validation, validationMask, null);
    }

    /** Reads {@code uri} at {@code version}, or at its latest version when {@code version} is null. */
    public static TrainingTable read(SparkSession spark, String uri, Long version) {
        if (!DeltaTable.isDeltaTable(spark, uri)) throw new NotADeltaTableException(uri);
        long v = version != null ? version : latestVersion(spark, uri);
        Dataset<Row> df = spark.read().format("delta").option("versionAsOf", v).load(uri);
        List<String> cols = List.of(df.columns());
        // lm_blocks and sft_pairs name their ids and split alike; only sft_pairs has a loss mask.
        if (!cols.contains(LmBlocks.INPUT_IDS) || !cols.contains(LmBlocks.SPLIT)) {
            throw new ConfigException("train.data", "table " + uri + " (version " + v + ") is not an lm_blocks or sft_pairs "
                    + "table: it lacks " + LmBlocks.INPUT_IDS + " or " + LmBlocks.SPLIT + " (columns: " + cols + ")");
        }
        boolean masked = cols.contains(SftPairs.LOSS_MASK);
        String order = cols.contains(LmBlocks.BLOCK_ID) ? LmBlocks.BLOCK_ID : cols.contains(SftPairs.CONTENT_HASH) ? SftPairs.CONTENT_HASH : LmBlocks.INPUT_IDS;
        Part train = collect(df.filter(col(LmBlocks.SPLIT).equalTo(Articles.TRAIN)).orderBy(order), masked);
        Part validation = collect(df.filter(col(LmBlocks.SPLIT).equalTo(Articles.VALIDATION)).orderBy(order), masked);
        if (train.ids.length == 0) {
            throw new ConfigException("train.data", "table " + uri + " (version " + v + ") has no rows with split = 'train'");
        }
        return new TrainingTable(uri, v, train.ids, train.mask, validation.ids, validation.mask, tokenizerAt(spark, uri, v));
    }

    /** The tokenizer the table's properties record at {@code version}, or null. */
    static TokenizerProvenance tokenizerAt(SparkSession spark, String uri, long version) {
        var properties = DeltaLog.forTable(spark, uri).getSnapshotAt(version, Option.empty(), Option.empty()).metadata().configuration();
        return TokenizerProvenance.fromProperties(scala.jdk.javaapi.CollectionConverters.asJava(properties), uri + " (version " + version + ")")
                .orElse(null);
    }

    public static long latestVersion(SparkSession spark, String uri) {
        Row last = spark.sql("DESCRIBE HISTORY delta.`" + uri.replace("`", "``") + "` LIMIT 1").first();
        return last.getLong(last.fieldIndex("version"));
    }

    @Override
    public long trainRows() {
        return train.length;
    }

    @Override
    public long validationRows() {
        return validation.length;
    }

    @Override
    public RankBatches open(RankBatches.Plan plan, Configuration conf) {
        return new MemoryBatches(this, plan);
    }

    public int sequenceLength() {
        return train[0].length;
    }

    /**
     * The {@code prepare.seq_len} this table was packed with: lm_blocks rows hold seq_len + 1 tokens (inputs and
     * the shifted labels come from one block), sft_pairs rows (those with a loss mask) hold seq_len.
     */
    public int blockLength() {
        return trainMask == null ? train[0].length - 1 : train[0].length;
    }

    /**
     * Checks {@code train.seq_len} against the table, when it is set, and that every row has the table's length:
     * training on blocks of another length than the config says would silently train something else.
     */
    public void checkSeqLen(Integer seqLen) {
        if (seqLen != null && seqLen != blockLength()) {
            throw new ConfigException("train.seq_len", "train.seq_len is " + seqLen + " but table " + uri + " (version "
                    + version + ") was packed with seq_len " + blockLength() + " (rows of " + train[0].length
                    + " tokens); set train.seq_len to " + blockLength() + " or leave it unset");
        }
        checkRowLengths("train", train);
        checkRowLengths("validation", validation);
    }

    private void checkRowLengths(String split, int[][] rows) {
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].length != train[0].length) {
                throw new IllegalArgumentException("table " + uri + " (version " + version + ") split " + split + " row "
                        + r + " has " + rows[r].length + " tokens but the table's rows have " + train[0].length);
            }
        }
    }

    /**
     * Checks the rows against the model they will train: every row must fit the model's positions and every token
     * id must index its embedding. Either would otherwise reach libtorch on a rank and crash there, far from the
     * data that caused it.
     */
    public void checkAgainstModel(int vocabSize, int maxPositions) {
        if (train[0].length > maxPositions) {
            throw new SequenceTooLongException(uri, version, train[0].length, maxPositions);
        }
        checkTokenIds("train", train, vocabSize);
        checkTokenIds("validation", validation, vocabSize);
    }

    private void checkTokenIds(String split, int[][] rows, int vocabSize) {
        for (int r = 0; r < rows.length; r++) {
            for (int t = 0; t < rows[r].length; t++) {
                int id = rows[r][t];
                if (id < 0 || id >= vocabSize) {
                    throw new TokenIdOutOfRangeException(uri, version, split, r, t, id, vocabSize);
                }
            }
        }
    }

    private record Part(int[][] ids, float[][] mask) {}

    private static Part collect(Dataset<Row> df, boolean masked) {
        List<Row> rows = (masked ? df.select(SftPairs.INPUT_IDS, SftPairs.LOSS_MASK) : df.select(LmBlocks.INPUT_IDS)).collectAsList();
        int[][] ids = new int[rows.size()][];
        float[][] mask = masked ? new float[rows.size()][] : null;
        for (int i = 0; i < rows.size(); i++) {
            List<Integer> list = rows.get(i).getList(0);
            ids[i] = list.stream().mapToInt(Integer::intValue).toArray();
            if (masked) {
                List<Number> m = rows.get(i).getList(1);
                mask[i] = new float[m.size()];
                for (int j = 0; j < m.size(); j++) mask[i][j] = m.get(j).floatValue();
            }
        }
        return new Part(ids, mask);
    }
}
