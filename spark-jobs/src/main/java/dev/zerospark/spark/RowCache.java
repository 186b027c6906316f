package dev.zerospark.spark;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * A dataset kept in the block manager as Spark's own binary rows (an RDD cache of {@code UnsafeRow} copies) and
 * read back as a DataFrame, for the prepare job's results that several actions read. {@code Dataset.persist}
 * builds the columnar cache instead, which for rows that are mostly prose, MinHash signatures and token arrays
 * costs more CPU than it saves: it copies every value into column buffers and gathers min/max statistics over every
 * text. Here a row is stored as the bytes Spark already made; readers still project each row (a copy), as they
 * would out of column batches. Close it to drop the blocks.
 */
public final class RowCache implements AutoCloseable {
    private final RDD<InternalRow> rows;
    private final Dataset<Row> frame;

    private RowCache(RDD<InternalRow> rows, Dataset<Row> frame) {
        this.rows = rows;
        this.frame = frame;
    }

    /**
     * Caches what {@code ds} computes. The rows themselves are computed by the first action on {@link #frame()};
     * with adaptive execution, stages the plan depends on (a broadcast, a shuffle) may already run here, when the
     * plan is turned into an RDD.
     */
    public static RowCache persist(Dataset<Row> ds, String name) {
        // The plan's iterators reuse one row buffer: each row is copied before the block manager keeps it.
        JavaRDD<InternalRow> copies = classic(ds).queryExecution().toRdd().toJavaRDD().map(InternalRow::copy);
        return of(ds.sparkSession(), copies, ds.schema(), name);
    }

    /** Caches rows that are already independent objects (each its own copy) of the given schema. */
    public static RowCache of(SparkSession spark, JavaRDD<InternalRow> rows, StructType schema, String name) {
        RDD<InternalRow> rdd = rows.rdd().setName(name).persist(StorageLevel.MEMORY_AND_DISK());
        return new RowCache(rdd, frame(spark, rdd, schema));
    }

    /**
     * A DataFrame over rows Spark already holds in its internal form (strings as {@code UTF8String}, arrays as
     * {@code ArrayData}): no per-value conversion from Java objects, which for primitive arrays is a boxed loop.
     */
    public static Dataset<Row> frame(SparkSession spark, RDD<InternalRow> rows, StructType schema) {
        return ((org.apache.spark.sql.classic.SparkSession) spark).internalCreateDataFrame(rows, schema, false);
    }

    /**
     * The rows of {@code ds} as Spark computes them internally, without converting them to {@link Row}s. A task's
     * iterator may hand out one reused buffer: copy a row ({@link InternalRow#copy()}) before keeping it. As for
     * {@link #persist}, stages the plan depends on may run when this is called.
     */
    public static JavaRDD<InternalRow> internalRows(Dataset<Row> ds) {
        return classic(ds).queryExecution().toRdd().toJavaRDD();
    }

    public Dataset<Row> frame() {
        return frame;
    }

    @Override
    public void close() {
        rows.unpersist(false);
    }

    private static org.apache.spark.sql.classic.Dataset<Row> classic(Dataset<Row> ds) {
        return (org.apache.spark.sql.classic.Dataset<Row>) ds;
    }
}
