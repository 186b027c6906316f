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
     * with adaptive execution, stages the plan depends on may already run here ({@link InternalRows#of}).
     */
    public static RowCache persist(Dataset<Row> ds, String name) {
        // The plan's iterators reuse one row buffer: each row is copied before the block manager keeps it.
        return of(ds.sparkSession(), InternalRows.of(ds).map(InternalRow::copy), ds.schema(), name);
    }

    /** Caches rows that are already independent objects (each its own copy) of the given schema. */
    public static RowCache of(SparkSession spark, JavaRDD<InternalRow> rows, StructType schema, String name) {
        RDD<InternalRow> rdd = rows.rdd().setName(name).persist(StorageLevel.MEMORY_AND_DISK());
        return new RowCache(rdd, InternalRows.frame(spark, rdd, schema));
    }

    public Dataset<Row> frame() {
        return frame;
    }

    @Override
    public void close() {
        rows.unpersist(false);
    }
}
