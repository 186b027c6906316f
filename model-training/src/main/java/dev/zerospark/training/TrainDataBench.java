package dev.zerospark.training;

import dev.zerospark.config.ConfigLoader;
import dev.zerospark.spark.SparkSessions;
import dev.zerospark.table.Articles;
import dev.zerospark.table.LmBlocks;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.executor.ExecutorMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.format_string;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

/**
 * Training data larger than the driver's heap: writes an lm_blocks table of synthetic token ids with Spark, then
 * trains a tiny GPT-2 on it at world size 2 in a child driver JVM with a small heap ({@link #main}), which reports its
 * peak heap. The child runs Spark in {@code local[2]}, so its heap also holds both ranks' readers.
 */
public final class TrainDataBench {
    /** Ids under this bound: a tiny model's vocabulary. */
    static final int VOCAB = 1024;
    /** Every n-th row is a validation row. */
    static final int VALIDATION_EVERY = 50;
    /** Row groups of 8 MB: a rank keeps a few decoded, which Parquet's 128 MB default would not fit in a small heap. */
    static final int ROW_GROUP_BYTES = 8 << 20;
    /** The line the child prints its measurements on. */
    static final String PEAK = "peak_heap_bytes=";
    static final String EXECUTOR_HEAP = "executor_peak_heap_bytes=";
    static final String EXECUTOR_RSS = "executor_peak_rss_bytes=";

    private TrainDataBench() {}

    /**
     * Writes {@code rows} lm_blocks rows of {@code tokens} ids, uncompressed and without dictionaries (bytes on disk
     * are the ids' bytes, 4 a token), to a new table at {@code uri}. The session's Parquet settings are restored.
     */
    public static void writeTable(SparkSession spark, String uri, long rows, int tokens) {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Map<String, String> saved = new HashMap<>();
        Map<String, String> set = Map.of("parquet.block.size", String.valueOf(ROW_GROUP_BYTES), "parquet.enable.dictionary", "false");
        set.forEach((k, v) -> {
            saved.put(k, hadoop.get(k));
            hadoop.set(k, v);
        });
        String codec = spark.conf().get("spark.sql.parquet.compression.codec");
        spark.conf().set("spark.sql.parquet.compression.codec", "uncompressed");
        try {
            int partitions = (int) Math.max(2, Math.min(64, rows / 200_000));
            spark.range(0, rows, 1, partitions).select(
                    format_string("b%010d", col("id")).as(LmBlocks.BLOCK_ID),
                    when(col("id").mod(VALIDATION_EVERY).equalTo(0), lit(Articles.VALIDATION)).otherwise(lit(Articles.TRAIN)).as(LmBlocks.SPLIT),
                    expr("transform(sequence(0, " + (tokens - 1) + "), t -> cast(pmod(id * 131 + t * 7, " + VOCAB + ") as int))")
                            .as(LmBlocks.INPUT_IDS),
                    lit("bench").as(LmBlocks.RUN_ID))
                    .write().format("delta").save(uri);
        } finally {
            spark.conf().set("spark.sql.parquet.compression.codec", codec);
            saved.forEach((k, v) -> {
                if (v == null) hadoop.unset(k);
                else hadoop.set(k, v);
            });
        }
    }

    /** Bytes of the table's Parquet files. */
    public static long parquetBytes(String uri, Configuration conf) throws IOException {
        Path root = new Path(uri);
        long bytes = 0;
        RemoteIterator<LocatedFileStatus> files = root.getFileSystem(conf).listFiles(root, true);
        while (files.hasNext()) {
            FileStatus f = files.next();
            if (f.getPath().getName().endsWith(".parquet")) bytes += f.getLen();
        }
        return bytes;
    }

    /**
     * What a child run did: its exit code, its output, the driver's peak heap, and the executors' peak heap and
     * resident set as Spark's executor metrics report them (-1 when not reported: always in local mode, where the
     * executor is the driver).
     */
    public record Outcome(int exit, String log, long peakHeap, long executorPeakHeap, long executorPeakRss, double seconds) {}

    /**
     * Where the child driver trains: a Spark master ({@code local[2]} when null) and, for a cluster, the executors'
     * memory. A {@code spark://} master must be a standalone cluster on this machine (deploy/cluster/standalone.sh):
     * its executors run on the child's own classpath (same host, same paths), not on a shipped jar.
     */
    public record Cluster(String master, String executorMemory) {
        public static final Cluster LOCAL = new Cluster(null, null);

        public boolean local() {
            return master == null || master.startsWith("local");
        }
    }

    /**
     * Trains {@code steps} steps on {@code table} in a child JVM with {@code -Xmx heap}, writing its checkpoints and
     * metrics under {@code workDir} (a local directory). Waits at most {@code timeoutMinutes}.
     */
    public static Outcome trainInChild(String table, java.nio.file.Path workDir, String heap, int steps, int timeoutMinutes)
            throws IOException, InterruptedException {
        return trainInChild(table, workDir, heap, Cluster.LOCAL, steps, timeoutMinutes);
    }

    /** As {@link #trainInChild(String, java.nio.file.Path, String, int, int)}, with the child's ranks on {@code cluster}. */
    public static Outcome trainInChild(String table, java.nio.file.Path workDir, String heap, Cluster cluster, int steps,
                                       int timeoutMinutes) throws IOException, InterruptedException {
        String javaBin = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(javaBin, "-Xmx" + heap, "-XX:+ExitOnOutOfMemoryError"));
        // Spark's module opens, as this JVM got them from its launcher
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-") || a.startsWith("-Djdk.reflect") || a.startsWith("-Dio.netty")).forEach(cmd::add);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), TrainDataBench.class.getName(), table,
                workDir.resolve("ckpt").toUri().toString(), workDir.resolve("run").toUri().toString(), String.valueOf(steps)));
        if (!cluster.local()) cmd.addAll(List.of(cluster.master(), cluster.executorMemory()));
        java.nio.file.Path log = workDir.resolve("child.log");
        long start = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
            throw new IllegalStateException("the child training on " + table + " ran past " + timeoutMinutes + " minutes; its log: " + log);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        String out = Files.readString(log);
        return new Outcome(p.exitValue(), out, reported(out, PEAK), reported(out, EXECUTOR_HEAP), reported(out, EXECUTOR_RSS), seconds);
    }

    private static long reported(String out, String key) {
        return out.lines().filter(l -> l.startsWith(key)).mapToLong(l -> Long.parseLong(l.substring(key.length()).strip()))
                .findFirst().orElse(-1);
    }

    /**
     * The child's Spark settings. On a standalone cluster: one single-core executor of {@code executorMemory} per rank,
     * on this JVM's classpath (less the AWS SDK bundle, whose unshaded SLF4J 1.7 would silence the executors' logs, as
     * standalone.sh leaves it out too), with the task-level peak memory metrics {@link ExecutorPeaks} collects.
     */
    public static Map<String, String> sessionConf(Cluster cluster, int worldSize) {
        Map<String, String> conf = new HashMap<>(Map.of("spark.ui.enabled", "false"));
        if (cluster.local()) {
            // Spark refuses a heap under 450 MB unless told the memory to plan with; the small heap is the point here.
            conf.put("spark.testing.memory", String.valueOf(512L << 20));
            return conf;
        }
        String classpath = String.join(java.io.File.pathSeparator, java.util.Arrays.stream(
                System.getProperty("java.class.path").split(java.io.File.pathSeparator)).filter(e -> !e.contains("/awssdk/bundle/")).toList());
        conf.putAll(Map.of("spark.driver.host", "127.0.0.1", "spark.driver.bindAddress", "127.0.0.1",
                "spark.executor.memory", cluster.executorMemory(), "spark.executor.cores", "1",
                "spark.cores.max", String.valueOf(worldSize), "spark.executor.extraClassPath", classpath,
                "spark.executor.extraJavaOptions", "-Dai.djl.offline=true",
                "spark.executor.processTreeMetrics.enabled", "true", "spark.executor.metrics.pollingInterval", "250ms",
                "spark.databricks.delta.snapshotPartitions", "2"));
        // libtorch's thread settings, as bin/zerospark exports them for this JVM
        for (String env : List.of("OMP_WAIT_POLICY", "GLIBC_TUNABLES", "LD_PRELOAD")) {
            String v = System.getenv(env);
            if (v != null) conf.put("spark.executorEnv." + env, v);
        }
        return conf;
    }

    /** The executors' peak JVM heap and process-tree RSS, from the task-level peaks every finished task reports. */
    static final class ExecutorPeaks extends SparkListener {
        final AtomicLong heap = new AtomicLong(-1);
        final AtomicLong rss = new AtomicLong(-1);

        @Override
        public void onTaskEnd(SparkListenerTaskEnd end) {
            add(end.taskExecutorMetrics());
        }

        @Override
        public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
            scala.jdk.javaapi.CollectionConverters.asJava(update.executorUpdates()).values().forEach(this::add);
        }

        private void add(ExecutorMetrics m) {
            if (m == null) return;
            heap.accumulateAndGet(m.getMetricValue("JVMHeapMemory"), Math::max);
            rss.accumulateAndGet(m.getMetricValue("ProcessTreeJVMRSSMemory"), Math::max);
        }
    }

    /**
     * The child driver: {@code TABLE CHECKPOINT_DIR RUN_DIR STEPS [MASTER EXECUTOR_MEMORY]}. Trains a tiny GPT-2 from
     * scratch at world size 2 in local[2] (or on the cluster at MASTER) and prints the heap's peak use, sampled every
     * 10 ms (a pool's own peak counts moments apart), and on a cluster the executors' peaks.
     */
    public static void main(String[] args) throws Exception {
        AtomicLong peak = new AtomicLong();
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "zs-heap-sampler");
            t.setDaemon(true);
            return t;
        });
        sampler.scheduleAtFixedRate(() -> peak.accumulateAndGet(
                ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max), 0, 10, TimeUnit.MILLISECONDS);
        Cluster cluster = args.length > 4 ? new Cluster(args[4], args[5]) : Cluster.LOCAL;
        SparkSession spark = SparkSessions.getOrCreate("zerospark-train-data-bench", cluster.local() ? "local[2]" : cluster.master(),
                sessionConf(cluster, 2));
        ExecutorPeaks executors = new ExecutorPeaks();
        spark.sparkContext().addSparkListener(executors);
        try {
            int steps = Integer.parseInt(args[3]);
            Map<String, Object> o = new HashMap<>();
            o.put("train.arch", "gpt2");
            o.put("train.preset", "tiny");
            o.put("train.data", args[0]);
            o.put("train.checkpoint_dir", args[1]);
            o.put("train.run_dir", args[2]);
            o.put("train.steps", steps);
            o.put("train.world_size", 2);
            o.put("train.micro_batch_size", 4);
            o.put("train.grad_accum", 1);
            o.put("train.checkpoint_interval", steps);
            o.put("train.eval_interval", steps);
            TrainJob.run(spark, ConfigLoader.load(null, o).train());
        } finally {
            // stop() drains the listener bus: every task's end, with its peaks, has been seen after it
            spark.stop();
            sampler.shutdown();
            sampler.awaitTermination(1, TimeUnit.SECONDS);
        }
        System.out.println(PEAK + peak.get());
        if (!cluster.local()) {
            System.out.println(EXECUTOR_HEAP + executors.heap.get());
            System.out.println(EXECUTOR_RSS + executors.rss.get());
        }
    }
}
