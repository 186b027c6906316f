package dev.zerospark.data;

import io.delta.tables.DeltaTable;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.List;
import scala.Option;
import java.util.stream.Collectors;

/** Insert-only Delta writes keyed on a column, so that writing the same rows twice changes nothing. */
final class DeltaTables {
    static final String STATS_COLUMNS = "delta.dataSkippingStatsColumns";

    private DeltaTables() {}

    static boolean exists(SparkSession spark, String path) {
        return DeltaTable.isDeltaTable(spark, path);
    }

    /**
     * Creates the table from {@code rows}, or MERGEs them in, inserting only keys the table lacks. Returns the
     * rows inserted: MERGE's own metric, or {@code sourceRows} when the table was created (-1 = count them).
     *
     * @param statsColumns the columns a new table keeps Delta's per-file min/max statistics for
     *                     ({@code delta.dataSkippingStatsColumns}): keys and small values. By default Delta takes the
     *                     first 32 columns, and gathering min/max over article text copies every text once more.
     */
    static long insertNew(SparkSession spark, String path, Dataset<Row> rows, List<String> keys, List<String> statsColumns, long sourceRows) {
        if (!exists(spark, path)) {
            rows.write().format("delta").mode("append").option(STATS_COLUMNS, String.join(",", statsColumns)).save(path);
            return sourceRows >= 0 ? sourceRows : spark.read().format("delta").load(path).count();
        }
        String cond = keys.stream().map(k -> "t." + k + " = s." + k).collect(Collectors.joining(" AND "));
        Row metrics = DeltaTable.forPath(spark, path).as("t")
                .merge(rows.as("s"), cond)
                .whenNotMatched().insertAll()
                .execute()
                .first();
        return metrics.getLong(metrics.fieldIndex("num_inserted_rows"));
    }

    /** The table's latest version, read from its log listing (no Spark job, unlike {@code history}); -1 if there is no table. */
    static long version(SparkSession spark, String path) {
        if (!exists(spark, path)) return -1;
        return DeltaLog.forTable(spark, path).update(false, Option.empty(), Option.empty()).version();
    }
}
