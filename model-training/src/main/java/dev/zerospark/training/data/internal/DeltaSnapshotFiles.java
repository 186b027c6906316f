package dev.zerospark.training.data.internal;

import dev.zerospark.config.ConfigException;
import dev.zerospark.table.LmBlocks;
import dev.zerospark.table.SftPairs;
import dev.zerospark.tokenizer.TokenizerProvenance;
import dev.zerospark.training.data.DataFile;
import dev.zerospark.training.data.TableFiles;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaColumnMapping$;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.delta.Snapshot;
import org.apache.spark.sql.delta.actions.AddFile;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Option;
import scala.jdk.javaapi.CollectionConverters;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The driver side of streaming training data: the live files of one table version from delta-spark's snapshot, with
 * their stats and deletion vectors, and the physical names of the columns training reads. Only the file actions
 * reach the driver (O(files)); no row does.
 */
public final class DeltaSnapshotFiles {
    private DeltaSnapshotFiles() {}

    public static TableFiles resolve(SparkSession spark, String uri, long version, TokenizerProvenance tokenizer) {
        DeltaLog log = DeltaLog.forTable(spark, uri);
        Snapshot snapshot = log.getSnapshotAt(version, Option.empty(), Option.empty());
        TableFiles.Columns columns = columns(snapshot.metadata().schema(),
                CollectionConverters.asJava(snapshot.metadata().partitionColumns()), uri, version);
        Path root = log.dataPath();
        List<DataFile> files = new ArrayList<>();
        for (AddFile add : snapshot.allFiles().collectAsList()) {
            Option<Object> records = add.numPhysicalRecords();
            files.add(new DataFile(absolute(root, add.path()).toString(), add.size(),
                    records.isDefined() ? (Long) records.get() : -1L,
                    CollectionConverters.asJava(add.partitionValues()),
                    add.deletionVector() == null ? null : add.deletionVector().serializeToBase64()));
        }
        files.sort(Comparator.comparing(DataFile::path));
        return new TableFiles(uri, version, root.toString(), columns, files, tokenizer);
    }

    /**
     * The physical names of input_ids, split and (sft_pairs) loss_mask, and whether split is one of the table's
     * {@code partitionColumns} (logical names, as Delta's metadata lists them); a table lacking the first two, or
     * whose split is not a string, is refused. The token arrays cannot be partition columns (Spark refuses arrays).
     */
    static TableFiles.Columns columns(StructType schema, List<String> partitionColumns, String uri, long version) {
        List<String> names = Arrays.asList(schema.fieldNames());
        if (!names.contains(LmBlocks.INPUT_IDS) || !names.contains(LmBlocks.SPLIT)) {
            throw new ConfigException("train.data", "table " + uri + " (version " + version + ") is not an lm_blocks or "
                    + "sft_pairs table: it lacks " + LmBlocks.INPUT_IDS + " or " + LmBlocks.SPLIT + " (columns: " + names + ")");
        }
        // A partition value is logged as a string; a string split is that string, the only conversion the reader needs.
        DataType split = schema.apply(LmBlocks.SPLIT).dataType();
        if (!(split instanceof StringType)) {
            throw new ConfigException("train.data", "table " + uri + " (version " + version + "): column " + LmBlocks.SPLIT
                    + " is " + split.simpleString() + ", not string");
        }
        return new TableFiles.Columns(physical(schema, LmBlocks.INPUT_IDS), physical(schema, LmBlocks.SPLIT),
                names.contains(SftPairs.LOSS_MASK) ? physical(schema, SftPairs.LOSS_MASK) : null,
                partitionColumns.contains(LmBlocks.SPLIT));
    }

    /** The name the Parquet files use: the column mapping's physical name when the table maps columns. */
    private static String physical(StructType schema, String logical) {
        StructField field = schema.apply(logical);
        return DeltaColumnMapping$.MODULE$.getPhysicalName(field);
    }

    /** Delta logs paths relative to the table root and URL-encoded, or absolute (shallow clones). */
    private static Path absolute(Path root, String logged) {
        try {
            Path p = new Path(new URI(logged));
            return p.isAbsolute() ? p : new Path(root, p);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("the Delta log of " + root + " names a file with an invalid path: " + logged, e);
        }
    }
}
