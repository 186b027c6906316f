package dev.zerospark.spark;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Spark's internal rows at the prepare job's seams: DataFrames over rows built in that form, the rows a plan
 * computes, and the string conversions between the two. Building {@code InternalRow}s directly skips the per-value
 * conversion from {@link Row}s, which for primitive arrays is an element-by-element loop.
 */
public final class InternalRows {
    private InternalRows() {}

    /** A DataFrame over rows already in Spark's internal form (strings as {@code UTF8String}, arrays as {@code ArrayData}). */
    public static Dataset<Row> frame(SparkSession spark, RDD<InternalRow> rows, StructType schema) {
        return ((org.apache.spark.sql.classic.SparkSession) spark).internalCreateDataFrame(rows, schema, false);
    }

    /**
     * The rows of {@code ds} as Spark computes them internally, without converting them to {@link Row}s. A task's
     * iterator may hand out one reused buffer: copy a row ({@link InternalRow#copy()}) before keeping it. With
     * adaptive execution, stages the plan depends on (a broadcast, a shuffle) may run when this is called.
     */
    public static JavaRDD<InternalRow> of(Dataset<Row> ds) {
        return ((org.apache.spark.sql.classic.Dataset<Row>) ds).queryExecution().toRdd().toJavaRDD();
    }

    /** The string at {@code ordinal}, or null. */
    public static String string(InternalRow row, int ordinal) {
        return row.isNullAt(ordinal) ? null : row.getUTF8String(ordinal).toString();
    }

    /** {@code s} in Spark's internal form, or null. */
    public static UTF8String utf8(String s) {
        return s == null ? null : UTF8String.fromString(s);
    }
}
