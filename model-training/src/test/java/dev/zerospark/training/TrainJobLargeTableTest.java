package dev.zerospark.training;

import dev.zerospark.spark.SparkSessions;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.training.data.TrainingTable;
import dev.zerospark.training.metrics.MetricsLog;
import dev.zerospark.training.metrics.StepMetrics;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Training data larger than the driver's heap trains: an lm_blocks table of ~400 MB of token ids trains at world size
 * 2 in a child JVM whose whole heap is 192 MB ({@link TrainDataBench}). The old path (collect every block to the
 * driver, broadcast it) runs out of the same heap on the same table.
 *
 * <p>The child runs Spark in {@code local[2]}: the two ranks are threads of the driver JVM, so the heap bounds the
 * driver (file list, row-group counts) and both ranks' readers (a few row groups each) together: a stricter bound
 * than a driver alone.
 */
class TrainJobLargeTableTest {
    private static final long ROWS = 800_000;
    private static final int TOKENS = 129;
    private static final String HEAP = "192m";
    private static final long HEAP_BYTES = 192L << 20;

    @TempDir static Path shared;
    private static String table;

    /** One table for both children: writing it is most of the test's time. */
    @BeforeAll
    static void writeTable() {
        table = shared.resolve("lm_blocks").toUri().toString();
        TrainDataBench.writeTable(LocalSpark.session(), table, ROWS, TOKENS);
    }

    @Test
    void aTableLargerThanTheDriverHeapTrainsAtWorldSizeTwoInAChildJvm(@TempDir Path dir) throws Exception {
        long onDisk = TrainDataBench.parquetBytes(table, new Configuration());
        assertTrue(onDisk > 2 * HEAP_BYTES, "the table's Parquet files (" + onDisk + " bytes) outweigh twice the child's heap");
        assertTrue(ROWS * TOKENS * 4 > 2 * HEAP_BYTES, "the decoded token ids outweigh twice the child's heap");

        TrainDataBench.Outcome trained = TrainDataBench.trainInChild(table, dir, HEAP, 3, 5);
        assertEquals(0, trained.exit(), trained.log());
        assertTrue(trained.peakHeap() > 0, "the child reported its peak heap: " + trained.log());
        System.out.println("table " + onDisk + " bytes on disk; child peak heap " + trained.peakHeap() + " bytes; "
                + trained.seconds() + " s");

        List<StepMetrics> steps = MetricsLog.readAll(dir.resolve("run").toUri().toString(), new Configuration());
        assertEquals(3, steps.get(steps.size() - 1).step(), steps.toString());
        assertTrue(steps.stream().allMatch(s -> Double.isFinite(s.loss())), steps.toString());
        assertTrue(Double.isFinite(steps.get(steps.size() - 1).valLoss()), "validation streamed too: " + steps);
    }

    /**
     * The control: today's {@link TrainingTable#read}, which collects the rows to the driver, runs out of the same
     * heap on the same table.
     */
    @Test
    void collectingTheSameTableToTheDriverRunsOutOfThatHeap(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + HEAP, "-XX:+ExitOnOutOfMemoryError"));
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(a -> a.startsWith("--add-")).forEach(cmd::add);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Collect.class.getName(), table));
        Path log = dir.resolve("collect.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "child collect finished");
        String out = Files.readString(log);
        assertTrue(p.exitValue() != 0 && out.contains("OutOfMemoryError"), out);
    }

    /** The control's child: reads the table the old way, into the driver. */
    public static final class Collect {
        public static void main(String[] args) {
            SparkSession spark = SparkSessions.getOrCreate("zerospark-collect", "local[2]",
                    Map.of("spark.ui.enabled", "false", "spark.testing.memory", String.valueOf(512L << 20)));
            System.out.println("collected " + TrainingTable.read(spark, args[0], null).trainRows() + " rows");
            spark.stop();
        }
    }
}
