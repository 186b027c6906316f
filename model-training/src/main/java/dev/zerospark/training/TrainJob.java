package dev.zerospark.training;

import dev.zerospark.checkpoint.CheckpointTokenizer;
import dev.zerospark.checkpoint.CheckpointStore;
import dev.zerospark.checkpoint.Manifest;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.config.ConfigException;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.model.HfConfigs;
import dev.zerospark.spark.TaskHadoopConf;
import dev.zerospark.model.ModelConfig;
import dev.zerospark.training.data.TableFiles;
import dev.zerospark.training.data.TableIndex;
import dev.zerospark.training.data.TrainingData;
import dev.zerospark.training.metrics.LossPlot;
import dev.zerospark.training.metrics.MetricsLog;
import dev.zerospark.training.metrics.StepMetrics;
import dev.zerospark.training.spark.BarrierStage;
import dev.zerospark.training.spark.TaskSlots;
import dev.zerospark.training.data.BatchSchedule;
import dev.zerospark.training.spark.SparkTransport;
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
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

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
        return run(spark, config, failAtStep, failRank, RunSpec.Fault.LOST_TASK);
    }

    /** As {@link #run(SparkSession, TrainConfig, long, int)}, with the kind of failure to inject. */
    static Result run(SparkSession spark, TrainConfig config, long failAtStep, int failRank, RunSpec.Fault fault)
            throws IOException {
        return run(spark, config, failAtStep, failRank, fault, table -> table);
    }

    /**
     * As {@link #run(SparkSession, TrainConfig, long, int, RunSpec.Fault)}, the ranks reading the table through
     * {@code ranksRead} (tests wrap the index to see which samples each rank trains on).
     */
    static Result run(SparkSession spark, TrainConfig config, long failAtStep, int failRank, RunSpec.Fault fault,
                      Function<TableIndex, TrainingData> ranksRead) throws IOException {
        return run(spark, config, failAtStep, failRank, fault, ranksRead, null);
    }

    /**
     * As {@link #run(SparkSession, TrainConfig)}, the ranks training {@code model} (a random-init model of any shape,
     * {@link ModelSource#random}) instead of train.model or train.arch/preset: {@code bench memory --ranks-as spark}.
     */
    static Result run(SparkSession spark, TrainConfig config, ModelSource model) throws IOException {
        return run(spark, config, -1, 0, RunSpec.Fault.LOST_TASK, table -> table, model);
    }

    private static Result run(SparkSession spark, TrainConfig config, long failAtStep, int failRank, RunSpec.Fault fault,
                              Function<TableIndex, TrainingData> ranksRead, ModelSource model) throws IOException {
        require(config.data(), "train.data (--data)");
        require(config.checkpointDir(), "train.checkpoint_dir (--checkpoint-dir)");
        require(config.runDir(), "train.run_dir (--run-dir)");
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        SparkTransport.clearTextRisk(sc.getConf()).ifPresent(risk -> LOG.warn("Training: {}", risk));
        TaskSlots.require(sc, config.worldSize());
        Configuration hadoop = sc.hadoopConfiguration();
        CheckpointStore store = new CheckpointStore(config.checkpointDir(), hadoop);
        ModelConfig modelDir = config.model() != null ? checkModelDir(config.model(), hadoop) : null;

        Optional<Manifest> resumeFrom = Optional.empty();
        if (config.resume()) {
            resumeFrom = store.latestValid();
            if (resumeFrom.isEmpty()) LOG.warn("--resume: no checkpoint under {}; starting from step 0", store.root());
            resumeFrom.ifPresent(m -> warnIfReplanned(m, config));
        } else if (!config.overwrite() && store.newestStep() >= 0) {
            throw checkpointDirInUse(store);
        }
        // A resumed run continues the run it resumes (its id); a checkpoint from before run ids starts a new one.
        String runId = resumeFrom.map(Manifest::runId).orElseGet(() -> UUID.randomUUID().toString());
        long resumedFrom = resumeFrom.map(Manifest::step).orElse(-1L);
        if (resumedFrom >= config.steps()) {
            throw new ConfigException("train.steps", store.stepUri(resumedFrom) + " already holds " + resumedFrom
                    + " steps, and train.steps is " + config.steps() + ": nothing to train; raise --steps to continue the run");
        }
        LOG.info("run {} {}", runId, resumedFrom < 0 ? "starts at step 0" : "resumes at " + store.stepUri(resumedFrom));
        Long pinned = resumeFrom.map(m -> m.data().version()).orElse(null);
        // Only the file list and per-row-group counts reach the driver; each rank reads its own rows from the files.
        TaskHadoopConf taskConf = TaskHadoopConf.forLocations(hadoop, taskLocations(config));
        TableIndex table = TableIndex.build(sc, TableFiles.resolve(spark, config.data(), pinned), taskConf);
        table.checkSeqLen(config.seqLen());
        try {
            BatchSchedule.requireOneGlobalBatch((int) Math.min(Integer.MAX_VALUE, table.trainRows()), config.microBatchSize(),
                    config.gradAccum(), config.worldSize());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("train.micro_batch_size", table.uri() + " version " + table.version() + ": " + e.getMessage()
                    + "; lower --micro-batch-size, --grad-accum or --world-size, or train on more data");
        }
        LOG.info("training on {} version {}: {} train rows, {} validation rows of {} tokens", table.uri(), table.version(),
                table.trainRows(), table.validationRows(), table.sequenceLength());
        int vocab = 1 + Math.max(0, table.maxId());
        ModelSource source = model != null ? model : ModelSource.of(config, roundUp(vocab, 64));
        ModelConfig shape = modelDir != null && model == null ? modelDir : source.modelConfig(hadoop);
        table.checkAgainstModel(shape.vocabSize(), shape.maxPositions()); // here, not as a native crash on a rank
        String configJson = ConfigLoader.jsonMapper().writeValueAsString(config);
        Broadcast<TrainingData> data = sc.broadcast(ranksRead.apply(table));

        // Deleted only now, after every check above passed: a mistyped --data with --overwrite must not cost the run.
        if (!config.resume() && config.overwrite()) store.clear();
        if (table.tokenizer() == null) {
            LOG.info("table {} records no tokenizer (prepared before prepare recorded it, or made by hand): the checkpoints "
                    + "hold none, so export will need --tokenizer", table.uri());
        } else {
            CheckpointTokenizer.copyToRoot(table.tokenizer(), store, hadoop);
        }
        RunSpec spec = RunSpec.from(config, configJson, runId, resumedFrom).withFault(failAtStep, failRank, fault);
        int restarts = 0;
        while (true) {
            int executors = sc.sc().getExecutorMemoryStatus().size();
            List<RankResult> results;
            try {
                RunSpec attempt = spec;
                results = BarrierStage.run(sc, config.worldSize(), ctx -> {
                    try {
                        return new RankTrainer(attempt, data.value(), source, taskConf.toConfiguration()).run(new SparkHost(ctx));
                    } catch (Exception e) { // classified here: the driver may get only this failure's text back
                        throw RankFailedException.of(ctx.partitionId(), e);
                    }
                });
            } catch (Exception e) { // SparkException is checked but thrown undeclared from Scala
                FailureClass failure = RankFailedException.classOf(e);
                if (failure != FailureClass.RETRYABLE) {
                    LOG.error("training stage failed ({}: {}); not restarting", failure, rootMessage(e));
                    throw RankFailedException.stopWith(failure, e);
                }
                if (restarts >= config.maxRestarts()) {
                    throw new TrainingFailedException(config.maxRestarts(), e);
                }
                restarts++;
                long from = store.restartPoint(runId, resumedFrom).map(Manifest::step).orElse(-1L);
                LOG.warn("training stage failed ({}); restart {}/{} from {}", rootMessage(e), restarts, config.maxRestarts(),
                        from < 0 ? "the beginning (no complete checkpoint yet)" : store.stepUri(from));
                spec = spec.resumingAt(from, restarts);
                awaitExecutors(sc, executors);
                continue;
            }
            List<StepMetrics> metrics = results.get(0).metrics();
            // The report and the metrics table show the whole run, steps logged before a resume included.
            List<StepMetrics> history = MetricsLog.readAll(config.runDir(), hadoop);
            String report = writeReport(spark, config, history.isEmpty() ? metrics : history, hadoop);
            return new Result(metrics, restarts, report, config.runDir() + "/metrics");
        }
    }

    /**
     * A resume with another step total keeps the optimizer state but re-plans the learning-rate schedule (warmup and
     * decay are fractions of the run), which users should hear about rather than discover in the loss curve.
     */
    private static void warnIfReplanned(Manifest m, TrainConfig config) {
        if (m.config() == null || !m.config().has("steps")) return;
        long before = m.config().get("steps").asLong();
        if (before != config.steps()) {
            LOG.warn("resuming at step {} with --steps {} instead of the {} this run was started with: the learning-rate "
                    + "schedule is re-planned for {} steps", m.step(), config.steps(), before, config.steps());
        }
    }

    /** A fresh run refuses a checkpoint directory that holds steps: resuming or clearing it is the user's call. */
    private static ConfigException checkpointDirInUse(CheckpointStore store) {
        return new ConfigException("train.checkpoint_dir", "checkpoint directory " + store.root()
                + " already holds checkpoints (newest: " + store.stepUri(store.newestStep())
                + "); pass --resume to continue that run or --overwrite to delete them");
    }

    /** A model directory without a readable, valid config.json fails here, as a config error, not in every task. */
    private static ModelConfig checkModelDir(String model, Configuration hadoop) {
        Path config = new Path(model, "config.json");
        try (InputStream in = config.getFileSystem(hadoop).open(config)) {
            return HfConfigs.parse((ObjectNode) ConfigLoader.jsonMapper().readTree(in));
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("train.model", "train.model (--model) " + model + " is not a usable HF model directory: "
                    + config + ": " + e.getMessage(), e);
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

    /**
     * What the ranks open through Hadoop: the training table (they read their rows from its files), the model
     * directory, the checkpoints and the run directory.
     */
    static List<String> taskLocations(TrainConfig config) {
        List<String> locations = new java.util.ArrayList<>();
        locations.add(config.data());
        if (config.model() != null) locations.add(config.model());
        locations.add(config.checkpointDir());
        locations.add(config.runDir());
        return locations;
    }

    private static int roundUp(int v, int m) {
        return (v + m - 1) / m * m;
    }

    private static void require(String value, String key) {
        if (value == null || value.isBlank()) {
            throw new ConfigException(key, "missing required setting " + key);
        }
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) t = t.getCause();
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }
}
