package dev.zerospark.training;

import dev.zerospark.config.ConfigLoader;
import dev.zerospark.spark.SparkSessions;
import dev.zerospark.table.LmBlocks;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.training.data.TrainingTable;
import dev.zerospark.training.metrics.MetricsLog;
import dev.zerospark.training.metrics.StepMetrics;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.format_string;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Training data larger than the driver's heap trains: an lm_blocks table of ~400 MB of token ids trains at world size
 * 2 in a child JVM whose whole heap is 192 MB. The old path (collect every block to the driver, broadcast it) needs
 * the decoded int[][] alone, ~2x that heap, before Spark's own row objects and the broadcast's serialized copy.
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
        writeTable(LocalSpark.session(), table, ROWS);
    }

    @Test
    void aTableLargerThanTheDriverHeapTrainsAtWorldSizeTwoInAChildJvm(@TempDir Path dir) throws Exception {
        long onDisk = parquetBytes(shared.resolve("lm_blocks"));
        assertTrue(onDisk > 2 * HEAP_BYTES, "the table's Parquet files (" + onDisk + " bytes) outweigh twice the child's heap");
        assertTrue(ROWS * TOKENS * 4 > 2 * HEAP_BYTES, "the decoded token ids outweigh twice the child's heap");

        Child.Outcome trained = Child.run(dir, "train", table);
        assertEquals(0, trained.exit(), trained.log());
        System.out.println(trained.log().lines().filter(l -> l.startsWith("peak heap")).findFirst().orElse("no peak heap line"));

        List<StepMetrics> steps = MetricsLog.readAll(dir.toUri() + "run", new Configuration());
        assertEquals(3, steps.get(steps.size() - 1).step(), steps.toString());
        assertTrue(steps.stream().allMatch(s -> Double.isFinite(s.loss())), steps.toString());
        assertTrue(Double.isFinite(steps.get(steps.size() - 1).valLoss()), "validation streamed too: " + steps);
    }

    /**
     * The control: today's {@link dev.zerospark.training.data.TrainingTable#read}, which collects the rows to the
     * driver, runs out of the same heap on the same table.
     */
    @Test
    void collectingTheSameTableToTheDriverRunsOutOfThatHeap(@TempDir Path dir) throws Exception {
        Child.Outcome collected = Child.run(dir, "collect", table);
        assertTrue(collected.exit() != 0 && collected.log().contains("OutOfMemoryError"), collected.log());
    }

    /**
     * {@code rows} lm_blocks rows of {@link #TOKENS} ids under 1024, every 50th a validation row, written uncompressed
     * and without dictionaries (so bytes on disk are the ids' bytes) in row groups of 8 MB, Parquet's default being
     * larger than the reader should hold three of per rank in this heap.
     */
    static void writeTable(SparkSession spark, String uri, long rows) {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Map<String, String> saved = new HashMap<>();
        Map<String, String> set = Map.of("parquet.block.size", String.valueOf(8 << 20), "parquet.enable.dictionary", "false");
        set.forEach((k, v) -> {
            saved.put(k, hadoop.get(k));
            hadoop.set(k, v);
        });
        String codec = spark.conf().get("spark.sql.parquet.compression.codec");
        spark.conf().set("spark.sql.parquet.compression.codec", "uncompressed");
        try {
            spark.range(0, rows, 1, 4).select(
                    format_string("b%09d", col("id")).as(LmBlocks.BLOCK_ID),
                    when(col("id").mod(50).equalTo(0), lit("validation")).otherwise(lit("train")).as(LmBlocks.SPLIT),
                    expr("transform(sequence(0, " + (TOKENS - 1) + "), t -> cast(pmod(id * 131 + t * 7, 1024) as int))")
                            .as(LmBlocks.INPUT_IDS),
                    lit("run").as(LmBlocks.RUN_ID))
                    .write().format("delta").save(uri);
        } finally {
            spark.conf().set("spark.sql.parquet.compression.codec", codec);
            saved.forEach((k, v) -> {
                if (v == null) hadoop.unset(k);
                else hadoop.set(k, v);
            });
        }
    }

    private static long parquetBytes(Path table) throws IOException {
        try (Stream<Path> files = Files.walk(table)) {
            return files.filter(f -> f.toString().endsWith(".parquet")).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    /** The child driver: trains a tiny GPT-2 from scratch on the table at world size 2 in local[2]. */
    public static final class Child {
        record Outcome(int exit, String log) {}

        /** Runs this class in a JVM with the small heap: {@code mode} train (the streaming path) or collect. */
        static Outcome run(Path dir, String mode, String table) throws Exception {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + HEAP, "-XX:+ExitOnOutOfMemoryError"));
            // Spark's module opens, as this JVM got them from the build
            ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(a -> a.startsWith("--add-")).forEach(cmd::add);
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName(), mode, table,
                    dir.toUri() + "ckpt", dir.toUri() + "run", "3"));
            Path log = dir.resolve(mode + ".log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            assertTrue(p.waitFor(5, TimeUnit.MINUTES), "child " + mode + " finished");
            return new Outcome(p.exitValue(), Files.readString(log));
        }

        public static void main(String[] a) throws Exception {
            String[] args = java.util.Arrays.copyOfRange(a, 1, a.length);
            // Spark refuses a heap under 450 MB unless told the memory to plan with; this test's point is the small heap.
            SparkSession spark = SparkSessions.getOrCreate("zerospark-large-table", "local[2]",
                    Map.of("spark.ui.enabled", "false", "spark.testing.memory", String.valueOf(512L << 20)));
            if (a[0].equals("collect")) {
                TrainingTable t = TrainingTable.read(spark, args[0], null);
                System.out.println("collected " + t.trainRows() + " rows");
                spark.stop();
                return;
            }
            Map<String, Object> o = new HashMap<>();
            o.put("train.arch", "gpt2");
            o.put("train.preset", "tiny");
            o.put("train.data", args[0]);
            o.put("train.checkpoint_dir", args[1]);
            o.put("train.run_dir", args[2]);
            o.put("train.steps", Integer.parseInt(args[3]));
            o.put("train.world_size", 2);
            o.put("train.micro_batch_size", 4);
            o.put("train.grad_accum", 1);
            o.put("train.checkpoint_interval", Integer.parseInt(args[3]));
            o.put("train.eval_interval", Integer.parseInt(args[3]));
            TrainJob.run(spark, ConfigLoader.load(null, o).train());
            // per pool: the pools peak at different moments, so their sum overstates the heap's peak
            StringBuilder peaks = new StringBuilder("peak heap by pool (max " + Runtime.getRuntime().maxMemory() + " bytes):");
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) peaks.append(' ').append(pool.getName()).append('=').append(pool.getPeakUsage().getUsed());
            }
            System.out.println(peaks);
            spark.stop();
        }
    }
}
