package dev.zerospark.training.data;

import dev.zerospark.config.ConfigException;
import dev.zerospark.spark.TaskHadoopConf;
import dev.zerospark.table.Articles;
import dev.zerospark.tokenizer.TokenizerProvenance;
import dev.zerospark.training.data.internal.ParquetRowGroups;
import dev.zerospark.training.data.internal.StreamedBatches;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Where each split's rows are: the live row count of every (file, row group) holding any, in file then row-group
 * order (the units of {@link SampleOrder}), and the range of row lengths and token ids, which the driver checks
 * against the config and the model in place of the rows it no longer holds. O(row groups) numbers.
 */
public record TableIndex(TableFiles table, List<Unit> train, List<Unit> validation, int minLength, int maxLength,
                         int minId, int maxId, String minIdAt, String maxIdAt) implements TrainingData {

    /** Row group {@code rowGroup} of file {@code file} of the table, holding {@code rows} live rows of the split. */
    public record Unit(int file, int rowGroup, long rows) implements Serializable {}

    static final List<String> SPLITS = List.of(Articles.TRAIN, Articles.VALIDATION);

    public TableIndex {
        train = List.copyOf(train);
        validation = List.copyOf(validation);
    }

    @Override
    public String uri() {
        return table.uri();
    }

    @Override
    public long version() {
        return table.version();
    }

    @Override
    public TokenizerProvenance tokenizer() {
        return table.tokenizer();
    }

    @Override
    public RankBatches open(RankBatches.Plan plan, Configuration conf) {
        return StreamedBatches.open(this, plan, conf);
    }

    @Override
    public long trainRows() {
        return train.stream().mapToLong(Unit::rows).sum();
    }

    @Override
    public long validationRows() {
        return validation.stream().mapToLong(Unit::rows).sum();
    }

    /**
     * Counts on the executors, a task per slice of files; the driver gets back a few numbers per row group. Refuses
     * a table without train rows.
     */
    public static TableIndex build(JavaSparkContext sc, TableFiles table, TaskHadoopConf conf) {
        List<ParquetRowGroups.FileSummary> summaries = List.of();
        if (!table.files().isEmpty()) {
            List<Integer> indices = IntStream.range(0, table.files().size()).boxed().toList();
            int slices = Math.min(indices.size(), Math.max(1, sc.defaultParallelism() * 4));
            summaries = sc.parallelize(indices, slices).map(i -> summarize(table, i, conf.toConfiguration())).collect();
        }
        return of(table, summaries);
    }

    /** As {@link #build}, in this JVM. */
    public static TableIndex count(TableFiles table, Configuration conf) {
        List<ParquetRowGroups.FileSummary> summaries = new ArrayList<>();
        for (int i = 0; i < table.files().size(); i++) summaries.add(summarize(table, i, conf));
        return of(table, summaries);
    }

    private static ParquetRowGroups.FileSummary summarize(TableFiles table, int file, Configuration conf) {
        try (ParquetRowGroups groups = ParquetRowGroups.open(table, table.files().get(file), conf)) {
            return groups.summarize(SPLITS);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + table.files().get(file).path() + " of table " + table.uri()
                    + " (version " + table.version() + ")", e);
        }
    }

    private static TableIndex of(TableFiles table, List<ParquetRowGroups.FileSummary> summaries) {
        List<Unit> train = new ArrayList<>();
        List<Unit> validation = new ArrayList<>();
        int minLength = Integer.MAX_VALUE;
        int maxLength = -1;
        int minId = Integer.MAX_VALUE;
        int maxId = Integer.MIN_VALUE;
        String minIdAt = null;
        String maxIdAt = null;
        for (int f = 0; f < summaries.size(); f++) {
            ParquetRowGroups.FileSummary s = summaries.get(f);
            for (int g = 0; g < s.counts()[0].length; g++) {
                if (s.counts()[0][g] > 0) train.add(new Unit(f, g, s.counts()[0][g]));
                if (s.counts()[1][g] > 0) validation.add(new Unit(f, g, s.counts()[1][g]));
            }
            if (s.maxLength() >= 0) {
                minLength = Math.min(minLength, s.minLength());
                maxLength = Math.max(maxLength, s.maxLength());
                if (s.minId() < minId) {
                    minId = s.minId();
                    minIdAt = s.minIdAt();
                }
                if (s.maxId() > maxId) {
                    maxId = s.maxId();
                    maxIdAt = s.maxIdAt();
                }
            }
        }
        if (train.isEmpty()) {
            throw new ConfigException("train.data", "table " + table.uri() + " (version " + table.version()
                    + ") has no rows with split = 'train'");
        }
        return new TableIndex(table, train, validation, minLength, maxLength, minId, maxId, minIdAt, maxIdAt);
    }

    /** The units of {@code split} ({@code train} or {@code validation}), in file then row-group order. */
    public List<Unit> units(String split) {
        return switch (split) {
            case Articles.TRAIN -> train;
            case Articles.VALIDATION -> validation;
            default -> throw new IllegalArgumentException("split '" + split + "' is not " + SPLITS);
        };
    }

    /**
     * The live rows of {@code split} in its unit {@code u}, read from the unit's file (one row group decoded, no
     * more); refuses a row group whose count differs from the index's, as the table changed under a pinned version.
     */
    public Rows read(String split, int u, Configuration conf) throws IOException {
        Unit unit = units(split).get(u);
        DataFile file = table.files().get(unit.file());
        Rows rows;
        try (ParquetRowGroups groups = ParquetRowGroups.open(table, file, conf)) {
            rows = groups.read(unit.rowGroup(), split);
        }
        if (rows.size() != unit.rows()) {
            throw new IllegalStateException("row group " + unit.rowGroup() + " of " + file.path() + " holds " + rows.size()
                    + " live " + split + " rows, but the index counted " + unit.rows() + " (table " + table.uri()
                    + " version " + table.version() + ")");
        }
        return rows;
    }

    /** Tokens a row: every row has the same length ({@link #checkSeqLen}). */
    public int sequenceLength() {
        return maxLength;
    }

    /** The {@code prepare.seq_len} the table was packed with (see {@link TrainingTable#blockLength()}). */
    public int blockLength() {
        return table.columns().lossMask() == null ? maxLength - 1 : maxLength;
    }

    /** As {@link TrainingTable#checkSeqLen}: the config's seq_len against the table, and one length for all rows. */
    public void checkSeqLen(Integer seqLen) {
        if (seqLen != null && seqLen != blockLength()) {
            throw new ConfigException("train.seq_len", "train.seq_len is " + seqLen + " but table " + table.uri()
                    + " (version " + table.version() + ") was packed with seq_len " + blockLength() + " (rows of "
                    + maxLength + " tokens); set train.seq_len to " + blockLength() + " or leave it unset");
        }
        if (minLength != maxLength) {
            throw new IllegalArgumentException("table " + table.uri() + " (version " + table.version() + ") has rows of "
                    + minLength + " to " + maxLength + " tokens; training needs rows of one length");
        }
    }

    /** As {@link TrainingTable#checkAgainstModel}: rows fit the model's positions, token ids its vocabulary. */
    public void checkAgainstModel(int vocabSize, int maxPositions) {
        if (maxLength > maxPositions) throw new SequenceTooLongException(table.uri(), table.version(), maxLength, maxPositions);
        if (minId < 0) throw new TokenIdOutOfRangeException(table.uri(), table.version(), minIdAt, minId, vocabSize);
        if (maxId >= vocabSize) throw new TokenIdOutOfRangeException(table.uri(), table.version(), maxIdAt, maxId, vocabSize);
    }
}
