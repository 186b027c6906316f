package dev.zerospark.training.data;

import dev.zerospark.training.data.internal.DeltaSnapshotFiles;
import dev.zerospark.tokenizer.TokenizerProvenance;
import dev.zerospark.data.NotADeltaTableException;
import io.delta.tables.DeltaTable;
import org.apache.spark.sql.SparkSession;

import java.io.Serializable;
import java.util.List;

/**
 * A training table at one pinned Delta version as a list of files: what the driver sends the ranks instead of the
 * rows, so the driver holds O(files), not O(rows). Each rank reads its own rows from the files
 * ({@link TrainingData#open}: Parquet's reader, row group by row group).
 *
 * @param uri       the table as the user named it
 * @param tablePath the table's root (deletion vector files are resolved against it)
 * @param columns   the Parquet (physical) names of the columns training reads: under column mapping they differ
 *                  from the logical names
 * @param files     the live files of the version, sorted by path so that file i is the same file on every rank
 * @param tokenizer the tokenizer the table's properties record, or null
 */
public record TableFiles(String uri, long version, String tablePath, Columns columns, List<DataFile> files,
                         TokenizerProvenance tokenizer) implements Serializable {

    public TableFiles {
        files = List.copyOf(files);
    }

    /**
     * Physical column names: the token ids, the split, and the loss mask (null for lm_blocks); {@code splitPartition}
     * when the table is partitioned by the split, whose value is then in each file's partition values, not its rows.
     */
    public record Columns(String inputIds, String split, String lossMask, boolean splitPartition) implements Serializable {}

    /** Resolves {@code uri} at {@code version} (its latest when null) on the driver from the Delta log. */
    public static TableFiles resolve(SparkSession spark, String uri, Long version) {
        if (!DeltaTable.isDeltaTable(spark, uri)) throw new NotADeltaTableException(uri);
        long v = version != null ? version : TrainingTable.latestVersion(spark, uri);
        return DeltaSnapshotFiles.resolve(spark, uri, v, TrainingTable.tokenizerAt(spark, uri, v));
    }
}
