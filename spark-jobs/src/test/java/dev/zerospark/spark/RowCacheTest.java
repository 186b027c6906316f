package dev.zerospark.spark;

import dev.zerospark.testing.LocalSpark;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The job's row cache holds what the plan computed, row for row, computes it once, and lets go of it on close. */
class RowCacheTest {
    private static final AtomicInteger MADE = new AtomicInteger();
    private static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("text", DataTypes.StringType)
            .add("ids", DataTypes.createArrayType(DataTypes.IntegerType, false));

    @Test
    void cachedRowsEqualThePlansRowsAndAreDroppedOnClose() {
        SparkSession spark = LocalSpark.session();
        // A plan whose iterators reuse one row buffer (the projection below): the cache must copy each row.
        Dataset<Row> plan = spark.range(0, 2000, 1, 3).selectExpr("id", "if(id % 7 = 0, null, concat('text ', id)) AS text",
                "transform(sequence(0, cast(id % 5 AS int)), x -> cast(x + id AS int)) AS ids");
        List<Row> expected = plan.orderBy("id").collectAsList();
        String name = "row-cache-test-" + System.nanoTime();
        try (RowCache cache = RowCache.persist(plan, name)) {
            assertEquals(expected, cache.frame().orderBy("id").collectAsList());
            assertEquals(2000L, cache.frame().filter("text IS NULL OR size(ids) >= 0").count());
            assertTrue(cached(spark, name), "the rows are held in the block manager");
        }
        assertFalse(cached(spark, name), "closing drops the blocks");
    }

    @Test
    void internalRowsBecomeAFrameWithoutConversionAndAreReadOnce() {
        SparkSession spark = LocalSpark.session();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        MADE.set(0);
        JavaRDD<InternalRow> rows = jsc.parallelize(List.of(1, 2, 3), 2).map(i -> {
            MADE.incrementAndGet(); // a static: local tasks run in this JVM, on deserialized closures
            return new GenericInternalRow(new Object[] {(long) i, UTF8String.fromString("t" + i), UnsafeArrayData.fromPrimitiveArray(new int[] {i, i * 10})});
        });
        try (RowCache cache = RowCache.of(spark, rows, SCHEMA, "row-cache-internal-" + System.nanoTime())) {
            List<Row> out = cache.frame().orderBy("id").collectAsList();
            assertEquals(3, out.size());
            assertEquals("t2", out.get(1).getString(1));
            assertEquals(List.of(2, 20), out.get(1).getList(2));
            assertEquals(66L, cache.frame().selectExpr("sum(aggregate(ids, 0, (a, x) -> a + x))").first().getLong(0));
            assertEquals(3, MADE.get(), "each row computed once, then read from the cache");
        }
    }

    private static boolean cached(SparkSession spark, String name) {
        return spark.sparkContext().getPersistentRDDs().values().exists(rdd -> name.equals(rdd.name()));
    }
}
