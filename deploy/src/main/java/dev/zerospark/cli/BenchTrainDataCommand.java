package dev.zerospark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.spark.SparkSessions;
import dev.zerospark.training.TrainDataBench;
import dev.zerospark.training.metrics.MetricsLog;
import dev.zerospark.training.metrics.StepMetrics;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code zerospark bench train-data --rows N}: training data larger than the driver's heap. Writes an lm_blocks table
 * of N synthetic rows with Spark, then trains a tiny GPT-2 on it at world size 2 in a child driver JVM started with
 * {@code --driver-memory}, and prints the table's size next to the driver's peak heap. Without {@code --master} the
 * child runs Spark in local[2], so its heap holds both ranks' readers too; with {@code --master spark://...} (a
 * standalone cluster on this machine, deploy/cluster/standalone.sh) the table is written and the ranks train on the
 * cluster's executors of {@code --executor-memory}, whose peak heap and RSS are printed too.
 */
@Command(name = "train-data", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Trains on a generated lm_blocks table larger than the driver's heap; prints the table's bytes and the driver's peak heap.")
public final class BenchTrainDataCommand implements Runnable {
    @Option(names = "--rows", paramLabel = "N", required = true, description = "lm_blocks rows to generate (required).") long rows;
    @Option(names = "--seq-len", paramLabel = "T", defaultValue = "129", description = "Tokens a row (default ${DEFAULT-VALUE}).") int tokens;
    @Option(names = "--driver-memory", paramLabel = "SIZE", defaultValue = "512m", description = "The child driver's -Xmx (default ${DEFAULT-VALUE}).") String driverMemory;
    @Option(names = "--steps", paramLabel = "N", defaultValue = "20", description = "Training steps (default ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--dir", paramLabel = "DIR", description = "Local working directory for the table and the run (default: a new temp dir).") Path dir;
    @Option(names = "--master", paramLabel = "URL", description = "Spark master that writes the table and trains on it: a "
            + "spark:// standalone cluster on this machine (deploy/cluster/standalone.sh). Default: local[*] writes, a local[2] child trains.") String master;
    @Option(names = "--executor-memory", paramLabel = "SIZE", defaultValue = "2g", description = "Executor memory on a spark:// master (default ${DEFAULT-VALUE}).") String executorMemory;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        CommandLine cl = spec.commandLine();
        if (rows < 100) throw new CommandLine.ParameterException(cl, "--rows: must be at least 100, got " + rows);
        if (tokens < 2 || tokens > 257) throw new CommandLine.ParameterException(cl, "--seq-len: must be 2 to 257 (the tiny model's 256 positions + 1), got " + tokens);
        if (steps < 1) throw new CommandLine.ParameterException(cl, "--steps: must be at least 1, got " + steps);
        if (!driverMemory.matches("[0-9]+[kKmMgG]?")) throw new CommandLine.ParameterException(cl, "--driver-memory: '" + driverMemory + "' is not a JVM size like 512m");
        if (!executorMemory.matches("[0-9]+[kKmMgG]?")) throw new CommandLine.ParameterException(cl, "--executor-memory: '" + executorMemory + "' is not a JVM size like 2g");
        if (master != null && !master.startsWith("local") && !master.startsWith("spark://")) {
            throw new CommandLine.ParameterException(cl, "--master: '" + master + "' is neither local[...] nor a spark:// standalone master");
        }
        TrainDataBench.Cluster cluster = master == null ? TrainDataBench.Cluster.LOCAL : new TrainDataBench.Cluster(master, executorMemory);
        try {
            Path work = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("zs-bench-train-data");
            String table = work.resolve("lm_blocks").toUri().toString();
            SparkSession spark = SparkSessions.getOrCreate("zerospark-bench-train-data", PrepareCommand.sparkMaster(master),
                    cluster.local() ? Map.of() : TrainDataBench.sessionConf(cluster, 2));
            long start = System.nanoTime();
            TrainDataBench.writeTable(spark, table, rows, tokens);
            double writeSeconds = (System.nanoTime() - start) / 1e9;
            long bytes = TrainDataBench.parquetBytes(table, spark.sparkContext().hadoopConfiguration());
            // The cluster's cores go to the child's application: this one, done writing, gives its executors back.
            if (!cluster.local()) spark.stop();
            TrainDataBench.Outcome child = TrainDataBench.trainInChild(table, work, driverMemory, cluster, steps, 120);
            if (child.exit() != 0) {
                String log = child.log();
                throw new IllegalStateException("the child driver (-Xmx" + driverMemory + ") exited " + child.exit() + "; its log ends:\n"
                        + log.substring(Math.max(0, log.length() - 4000)));
            }
            List<StepMetrics> metrics = MetricsLog.readAll(work.resolve("run").toUri().toString(), new org.apache.hadoop.conf.Configuration());
            long trained = metrics.isEmpty() ? 0 : metrics.get(metrics.size() - 1).step();
            double firstLoss = metrics.isEmpty() ? Double.NaN : metrics.get(0).loss();
            double lastLoss = metrics.isEmpty() ? Double.NaN : metrics.get(metrics.size() - 1).loss();
            PrintWriter out = cl.getOut();
            out.printf(Locale.ROOT, "bench train-data: %s, world size 2 %s, driver -Xmx%s%n", table,
                    cluster.local() ? "in local[2]" : "on " + master + " (executors " + executorMemory + ")", driverMemory);
            out.printf(Locale.ROOT, "%12s %14s %12s %7s %16s %18s %17s %10s %10s %10s %10s%n", "rows", "table bytes", "token bytes", "steps",
                    "driver peak heap", "executor peak heap", "executor peak RSS", "write s", "train s", "loss 1", "loss last");
            out.printf(Locale.ROOT, "%12d %14d %12d %7d %16d %18d %17d %10.1f %10.1f %10.4f %10.4f%n", rows, bytes, rows * tokens * 4, trained,
                    child.peakHeap(), child.executorPeakHeap(), child.executorPeakRss(), writeSeconds, child.seconds(), firstLoss, lastLoss);
            out.println(new ObjectMapper().createObjectNode().put("rows", rows).put("seq_len", tokens).put("table_bytes", bytes)
                    .put("token_bytes", rows * tokens * 4).put("steps", trained).put("driver_memory", driverMemory)
                    .put("driver_peak_heap_bytes", child.peakHeap()).put("master", cluster.local() ? "local[2]" : master)
                    .put("executor_memory", cluster.local() ? null : executorMemory)
                    .put("executor_peak_heap_bytes", child.executorPeakHeap()).put("executor_peak_rss_bytes", child.executorPeakRss())
                    .put("write_seconds", writeSeconds).put("train_seconds", child.seconds())
                    .put("first_loss", firstLoss).put("last_loss", lastLoss).put("table", table));
            out.flush();
        } catch (CommandLine.ParameterException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("bench train-data failed: " + e.getMessage(), e);
        }
    }
}
