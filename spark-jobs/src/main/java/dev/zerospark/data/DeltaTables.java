package dev.zerospark.data;

import io.delta.tables.DeltaTable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.List;
import java.util.stream.Collectors;

/** Insert-only Delta writes keyed on a column, so that writing the same rows twice changes nothing. */
final class DeltaTables {
    private DeltaTables() {}

    static boolean exists(SparkSession spark, String path) {
        return DeltaTable.isDeltaTable(spark, path);
    }

    /**
     * Creates the table from {@code rows}, or MERGEs them in, inserting only keys the table lacks. Returns the
     * rows inserted: MERGE's own metric, or {@code sourceRows} when the table was created (-1 = count them).
     */
    static long insertNew(SparkSession spark, String path, Dataset<Row> rows, List<String> keys, long sourceRows) {
        if (!exists(spark, path)) {
            rows.write().format("delta").mode("append").save(path);
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

    static long version(SparkSession spark, String path) {
        if (!exists(spark, path)) return -1;
        return DeltaTable.forPath(spark, path).history(1).select("version").first().getLong(0);
    }
}
