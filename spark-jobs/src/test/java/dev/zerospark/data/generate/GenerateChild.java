package dev.zerospark.data.generate;

import dev.zerospark.spark.SparkSessions;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.spark.sql.SparkSession;

/**
 * A generate run in its own JVM, for tests that kill it or need their own Spark master. Arguments: master, model,
 * input, output, partitions, rows per task, and {@code block} (stop after the first commit until killed) or
 * {@code finish}. Prints "committed chunk N" after each commit and the summary as its last line.
 */
public final class GenerateChild {
    public static final String COMMITTED = "committed chunk ";

    private GenerateChild() {}

    public static void main(String[] args) throws Exception {
        SparkSession spark = SparkSessions.getOrCreate("generate-child", args[0], Map.of("spark.ui.enabled", "false"));
        boolean block = args[6].equals("block");
        GenerateOptions o = GenerateFixtures.options(args[1], args[2], args[3], Integer.parseInt(args[4]), Integer.parseInt(args[5]));
        GenerateSummary s = GenerateJob.run(spark, o, (chunk, chunks, version) -> {
            System.out.println(COMMITTED + chunk + " of " + chunks + " at version " + version);
            System.out.flush();
            if (block) {
                try {
                    new CountDownLatch(1).await(); // never released: the parent kills this JVM here, between two chunks
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting to be killed", e);
                }
            }
        });
        System.out.println(s.toJson());
        spark.stop();
    }
}
