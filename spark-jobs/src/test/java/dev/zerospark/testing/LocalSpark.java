package dev.zerospark.testing;

import dev.zerospark.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * One local[2] SparkSession with Delta per test JVM, and one S3Proxy whose {@code s3a://} settings the session
 * carries, so any test can write to local disk or to S3 through the same session. Both stop at JVM exit.
 */
public final class LocalSpark {
    private static SparkSession session;
    private static S3ProxyServer s3;

    private LocalSpark() {}

    public static synchronized SparkSession session() {
        if (session == null) {
            try {
                s3 = S3ProxyServer.start();
                Path warehouse = Files.createTempDirectory("zs-warehouse");
                Map<String, String> extra = new HashMap<>();
                extra.put("spark.sql.warehouse.dir", warehouse.toUri().toString());
                extra.put("spark.ui.enabled", "false");
                s3.hadoopConf().forEach((k, v) -> extra.put("spark.hadoop." + k, v));
                session = SparkSessions.getOrCreate("zerospark-tests", "local[2]", extra);
                Runtime.getRuntime().addShutdownHook(new Thread(LocalSpark::stop, "zs-test-spark-stop"));
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the local Spark + S3Proxy test harness", e);
            }
        }
        return session;
    }

    /** The S3Proxy server behind the session's {@code s3a://} settings. */
    public static synchronized S3ProxyServer s3() {
        session();
        return s3;
    }

    private static synchronized void stop() {
        if (session != null) session.stop();
        if (s3 != null) {
            try {
                s3.close();
            } catch (Exception e) {
                System.err.println("S3Proxy stop failed: " + e);
            }
        }
    }
}
