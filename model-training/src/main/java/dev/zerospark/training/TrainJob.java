package dev.zerospark.training;

import dev.zerospark.checkpoint.CheckpointStore;
import dev.zerospark.checkpoint.Manifest;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.model.ModelConfig;
import dev.zerospark.training.data.TrainingTable;
import dev.zerospark.training.metrics.LossPlot;
import dev.zerospark.training.metrics.StepMetrics;
import dev.zerospark.training.spark.BarrierStage;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The driver side of {@code zerospark train}: pins the data version, runs the ranks as one Spark barrier stage,
 * and when a task dies (the whole stage fails) restarts from the newest intact checkpoint, up to
 * {@code max_restarts} times. At the end it writes the metrics as a Delta table and a loss-curve report.
 */
public final class TrainJob {
    private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);

    /** The outcome: per-step metrics of the final attempt (resumed steps included) and how many restarts it took. */
    public record Result(List<StepMetrics> metrics, int restarts, String reportUri, String metricsTable) {}

    private static final Duration EXECUTOR_WAIT = Duration.ofMinutes(3);

    private TrainJob() {}

    public static Result run(SparkSession spark, TrainConfig config) throws IOException {
        return run(spark, config, -1, 0);
    }

    /** As {@link #run(SparkSession, TrainConfig)}, with fault injection: rank {@code failRank} dies before {@code failAtStep} once. */
    public static Result run(SparkSession spark, TrainConfig config, long failAtStep, int failRank) throws IOException {
        require(config.data(), "train.data (--data)");
        require(config.checkpointDir(), "train.checkpoint_dir (--checkpoint-dir)");
        require(config.runDir(), "train.run_dir (--run-dir)");
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration hadoop = sc.hadoopConfiguration();
        CheckpointStore store = new CheckpointStore(config.checkpointDir(), hadoop);

        Optional<Manifest> resumeFrom = config.resume() ? store.latestValid() : Optional.empty();
        Long pinned = resumeFrom.map(m -> m.data().get("version").asLong()).orElse(null);
        TrainingTable table = TrainingTable.read(spark, config.data(), pinned);
        table.checkSeqLen(config.seqLen());
        LOG.info("training on {} version {}: {} train rows, {} validation rows of {} tokens", table.uri(), table.version(),
                table.train().length, table.validation().length, table.sequenceLength());
        int vocab = 1 + maxToken(table);
        ModelSource source = new ModelSource(config.model(), config.arch(), config.preset(), roundUp(vocab, 64), config.seed());
        ModelConfig model = source.modelConfig(hadoop);
        table.checkAgainstModel(model.vocabSize(), model.maxPositions()); // here, not as a native crash on a rank
        String configJson = ConfigLoader.jsonMapper().writeValueAsString(config);
        Broadcast<TrainingTable> data = sc.broadcast(table);
        Map<String, String> hadoopEntries = new HashMap<>();
        hadoop.forEach(e -> hadoopEntries.put(e.getKey(), e.getValue()));

        RunSpec spec = RunSpec.from(config, configJson, resumeFrom.map(Manifest::step).orElse(-1L), 0,
                Duration.ofSeconds(120)).withFault(failAtStep, failRank);
        int restarts = 0;
        while (true) {
            int executors = sc.sc().getExecutorMemoryStatus().size();
            List<RankResult> results;
            try {
                RunSpec attempt = spec;
                results = BarrierStage.run(sc, config.worldSize(),
                        ctx -> new RankTrainer(attempt, data.value(), source, toConf(hadoopEntries)).run(new SparkHost(ctx)));
            } catch (Exception e) { // SparkException is checked but thrown undeclared from Scala
                if (restarts >= config.maxRestarts()) {
                    throw new TrainingFailedException(config.maxRestarts(), e);
                }
                restarts++;
                Optional<Manifest> latest = store.latestValid();
                long from = latest.map(Manifest::step).orElse(-1L);
                LOG.warn("training stage failed ({}); restart {}/{} from {}", rootMessage(e), restarts, config.maxRestarts(),
                        from < 0 ? "the beginning (no complete checkpoint yet)" : store.stepUri(from));
                spec = spec.resumingAt(from, restarts);
                awaitExecutors(sc, executors);
                continue;
            }
            List<StepMetrics> metrics = results.get(0).metrics();
            String report = writeReport(spark, config, metrics, hadoop);
            return new Result(metrics, restarts, report, config.runDir() + "/metrics");
        }
    }

    private static String writeReport(SparkSession spark, TrainConfig config, List<StepMetrics> metrics,
                                      Configuration hadoop) throws IOException {
        List<Row> rows = metrics.stream().map(m -> RowFactory.create(m.step(), m.loss(), m.lr(), m.gradNorm(),
                m.tokensPerS(), m.mfu(), m.valLoss(), m.valPerplexity(), m.stepSeconds(), m.computeSeconds(),
                m.commSeconds(), m.optimizerSeconds(), m.dataSeconds())).toList();
        StructType schema = new StructType().add("step", DataTypes.LongType);
        for (String c : List.of("loss", "lr", "grad_norm", "tokens_per_s", "mfu", "val_loss", "val_perplexity",
                "step_s", "compute_s", "comm_s", "optimizer_s", "data_s")) {
            schema = schema.add(c, DataTypes.DoubleType);
        }
        spark.createDataFrame(rows, schema).write().format("delta").mode("overwrite").save(config.runDir() + "/metrics");
        String uri = config.runDir() + "/loss.html";
        Path p = new Path(uri);
        try (FSDataOutputStream out = p.getFileSystem(hadoop).create(p, true)) {
            out.write(LossPlot.html("zerospark training loss", metrics).getBytes(StandardCharsets.UTF_8));
        }
        LOG.info("loss plot: {}", uri);
        return uri;
    }

    /**
     * After a lost executor, waits (bounded) until the cluster is back to the executor count the failed attempt
     * started with, so the restarted barrier stage is not scheduled onto a half-dead cluster and fails again at
     * once. Local mode has only the driver and returns immediately.
     */
    private static void awaitExecutors(JavaSparkContext sc, int expected) {
        long deadline = System.nanoTime() + EXECUTOR_WAIT.toNanos();
        int now = sc.sc().getExecutorMemoryStatus().size();
        while (now < expected && System.nanoTime() < deadline) {
            LOG.info("waiting for executors to come back before restarting: {} of {} registered", now, expected);
            try {
                Thread.sleep(1000); // polls cluster membership; Spark offers no listener-free wait for this
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TrainingFailedException(0, e);
            }
            now = sc.sc().getExecutorMemoryStatus().size();
        }
        if (now < expected) {
            LOG.warn("restarting with {} executors registered, fewer than the {} before the failure", now, expected);
        }
    }

    private static Configuration toConf(Map<String, String> entries) {
        Configuration c = new Configuration(false);
        entries.forEach(c::set);
        return c;
    }

    private static int maxToken(TrainingTable t) {
        int max = 0;
        for (int[] row : t.train()) for (int id : row) max = Math.max(max, id);
        for (int[] row : t.validation()) for (int id : row) max = Math.max(max, id);
        return max;
    }

    private static int roundUp(int v, int m) {
        return (v + m - 1) / m * m;
    }

    private static void require(String value, String key) {
        if (value == null || value.isBlank()) {
            throw new dev.zerospark.config.ConfigException(key, "missing required setting " + key);
        }
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) t = t.getCause();
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }
}
