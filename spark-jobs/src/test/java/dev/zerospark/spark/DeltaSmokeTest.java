package dev.zerospark.spark;

import dev.zerospark.testing.LocalSpark;
import io.delta.tables.DeltaTable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves Spark 4 + Delta 4 + S3A work together: write, MERGE and time travel, on local disk and on S3Proxy. */
class DeltaSmokeTest {

    @Test
    void writeMergeTimeTravelOnLocalDisk(@TempDir Path dir) {
        exercise(LocalSpark.session(), dir.resolve("t").toUri().toString());
    }

    @Test
    void writeMergeTimeTravelOnS3Proxy() {
        String bucket = LocalSpark.s3().createBucket("delta-smoke");
        String table = bucket + "/tables/t";
        exercise(LocalSpark.session(), table);
        // The objects really are in the S3 server: the Delta log and parquet files.
        List<String> keys = LocalSpark.s3().blobStore()
                .list("delta-smoke", org.jclouds.blobstore.options.ListContainerOptions.Builder.recursive())
                .stream().map(StorageMetadata::getName).toList();
        assertTrue(keys.stream().anyMatch(k -> k.startsWith("tables/t/_delta_log/00000000000000000001.json")), keys.toString());
        assertTrue(keys.stream().anyMatch(k -> k.endsWith(".parquet")), keys.toString());
    }

    private static void exercise(SparkSession spark, String path) {
        Dataset<Row> v0 = spark.sql("SELECT id, CONCAT('a', CAST(id AS STRING)) AS name FROM range(0, 10)");
        v0.write().format("delta").mode("overwrite").save(path);

        Dataset<Row> updates = spark.sql("SELECT id, CONCAT('b', CAST(id AS STRING)) AS name FROM range(5, 15)");
        DeltaTable.forPath(spark, path).as("t")
                .merge(updates.as("u"), "t.id = u.id")
                .whenMatched().updateExpr(Map.of("name", "u.name"))
                .whenNotMatched().insertAll()
                .execute();

        Dataset<Row> now = spark.read().format("delta").load(path);
        assertEquals(15, now.count());
        assertEquals(10, now.filter("name LIKE 'b%'").count());

        Dataset<Row> before = spark.read().format("delta").option("versionAsOf", 0).load(path);
        assertEquals(10, before.count());
        assertEquals(0, before.filter("name LIKE 'b%'").count());
        assertEquals(2, DeltaTable.forPath(spark, path).history().count());
    }
}
