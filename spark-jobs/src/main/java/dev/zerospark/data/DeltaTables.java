package dev.zerospark.data;

import io.delta.tables.DeltaTable;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.analysis.TableAlreadyExistsException;

import java.util.List;
import java.util.Map;
import scala.Option;
import java.util.stream.Collectors;

/** Insert-only Delta writes keyed on a column, so that writing the same rows twice changes nothing. */
public final class DeltaTables {
    static final String STATS_COLUMNS = "delta.dataSkippingStatsColumns";

    private DeltaTables() {}

    public static boolean exists(SparkSession spark, String path) {
        return DeltaTable.isDeltaTable(spark, path);
    }

    /**
     * Creates the table from {@code rows}, or MERGEs them in, inserting only keys the table lacks. Returns the
     * rows inserted: MERGE's own metric, or {@code sourceRows} when the table was created (-1 = count them).
     *
     * @param statsColumns the columns a new table keeps Delta's per-file min/max statistics for
     *                     ({@code delta.dataSkippingStatsColumns}): keys and small values. By default Delta takes the
     *                     first 32 columns, and gathering min/max over article text copies every text once more.
     * @param properties further table properties a new table is created with (an existing one keeps its own)
     */
    public static long insertNew(SparkSession spark, String path, Dataset<Row> rows, List<String> keys, List<String> statsColumns,
                          Map<String, String> properties, long sourceRows) {
        return insertOrReplace(spark, path, rows, keys, statsColumns, properties, sourceRows, null);
    }

    /**
     * {@link #insertNew}, except that a row already in the table for which {@code replaceWhen} holds (SQL over the
     * table's row {@code t} and the new row {@code s}) is replaced by the new one: how a rerun repairs the rows it
     * retried. Null = insert-only. Returns the rows inserted plus those replaced.
     */
    public static long insertOrReplace(SparkSession spark, String path, Dataset<Row> rows, List<String> keys, List<String> statsColumns,
                                       Map<String, String> properties, long sourceRows, String replaceWhen) {
        if (!exists(spark, path)) {
            // DataFrameWriterV2 on the path identifier: its table properties land in the creating commit (version 0),
            // whereas DataFrameWriter options reject unknown "delta." keys and drop all others, and an ALTER TABLE
            // afterwards would add a commit that moves every table's first version.
            var create = rows.writeTo(pathIdentifier(path)).using("delta").tableProperty(STATS_COLUMNS, String.join(",", statsColumns));
            for (Map.Entry<String, String> p : properties.entrySet()) create = create.tableProperty(p.getKey(), p.getValue());
            try {
                create.create();
            } catch (TableAlreadyExistsException e) { // only another writer of the same output gets here
                throw new IllegalStateException("Delta table " + path + " appeared while it was being created: is another job (prepare, generate) writing to the same output?", e);
            }
            return sourceRows >= 0 ? sourceRows : spark.read().format("delta").load(path).count();
        }
        String cond = keys.stream().map(k -> "t." + k + " = s." + k).collect(Collectors.joining(" AND "));
        var merge = DeltaTable.forPath(spark, path).as("t").merge(rows.as("s"), cond);
        if (replaceWhen != null) merge = merge.whenMatched(replaceWhen).updateAll();
        Row metrics = merge.whenNotMatched().insertAll().execute().first();
        return metrics.getLong(metrics.fieldIndex("num_inserted_rows"))
                + (replaceWhen == null ? 0 : metrics.getLong(metrics.fieldIndex("num_updated_rows")));
    }

    /** The table's properties at its latest version ({@code TBLPROPERTIES}); empty when it sets none. */
    static Map<String, String> properties(SparkSession spark, String path) {
        return scala.jdk.javaapi.CollectionConverters.asJava(
                DeltaLog.forTable(spark, path).update(false, Option.empty(), Option.empty()).metadata().configuration());
    }

    /** {@code delta.`path`}: a table named by its location, as Delta's catalog takes it. */
    public static String pathIdentifier(String path) {
        return "delta.`" + path.replace("`", "``") + "`";
    }

    /** The table's latest version, read from its log listing (no Spark job, unlike {@code history}); -1 if there is no table. */
    public static long version(SparkSession spark, String path) {
        if (!exists(spark, path)) return -1;
        return DeltaLog.forTable(spark, path).update(false, Option.empty(), Option.empty()).version();
    }
}
