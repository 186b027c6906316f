package dev.zerospark.spark;

import org.apache.spark.sql.SparkSession;

import java.util.Map;

/**
 * Builds SparkSessions with Delta Lake enabled. On a cluster (spark-submit, Databricks) the session already
 * exists and {@link #getOrCreate} only adds what is missing; locally it starts {@code local[N]} bound to 127.0.0.1.
 */
public final class SparkSessions {
    private SparkSessions() {}

    /** Settings every zerospark session needs: Delta's SQL extension and catalog. */
    public static final Map<String, String> DELTA = Map.of(
            "spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension",
            "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");

    /**
     * Settings for a small local run: loopback only, no UI, few shuffle partitions, and Delta snapshots
     * computed on 2 partitions (the default 50 dominates small-table latency).
     */
    public static final Map<String, String> LOCAL = Map.of(
            "spark.driver.host", "127.0.0.1",
            "spark.driver.bindAddress", "127.0.0.1",
            "spark.ui.enabled", "false",
            "spark.sql.shuffle.partitions", "4",
            "spark.databricks.delta.snapshotPartitions", "2",
            "spark.sql.adaptive.enabled", "true",
            "spark.driver.extraJavaOptions", "-Dai.djl.offline=true",
            "spark.executor.extraJavaOptions", "-Dai.djl.offline=true");

    /** The active session if one exists (spark-submit), else a new one on the given master (default local[*]). */
    public static SparkSession getOrCreate(String appName, String master, Map<String, String> extra) {
        SparkSession.Builder b = SparkSession.builder().appName(appName);
        boolean local = master != null && master.startsWith("local");
        if (master != null) b.master(master);
        DELTA.forEach(b::config);
        if (local) LOCAL.forEach(b::config);
        extra.forEach(b::config);
        return b.getOrCreate();
    }
}
