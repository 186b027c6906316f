package dev.zerospark.pipeline.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.config.ConfigException;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.PipelineConfig;
import dev.zerospark.config.ZeroSparkConfig;
import dev.zerospark.pipeline.Pipeline;
import dev.zerospark.pipeline.PipelineRuns;
import dev.zerospark.pipeline.PipelineStages;
import dev.zerospark.pipeline.PipelineSummary;
import dev.zerospark.pipeline.Stage;
import dev.zerospark.pipeline.StageContext;
import dev.zerospark.pipeline.StageRecord;
import dev.zerospark.pipeline.StageResult;
import dev.zerospark.pipeline.StageStatus;
import dev.zerospark.registry.ModelRegistry;
import dev.zerospark.registry.ModelVersion;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Runs the stages in order under the lease, recording each stage's start and end in {@code pipeline_runs}. A run id
 * that has records resumes: stages whose last record is succeeded or skipped are not run again (their recorded
 * metrics feed the later stages). When the train stage finds no new data, train, eval and promote are skipped and
 * the run ends "nothing new".
 */
public final class PipelineRunner implements Pipeline {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineRunner.class);
    public static final String LEASE = "pipeline.lease";
    public static final String RUNS = "pipeline_runs";
    /** Stages that need new data. */
    private static final Set<String> NEED_NEW_DATA = Set.of(Stage.TRAIN, Stage.EVAL, Stage.PROMOTE);
    private static final DateTimeFormatter RUN_ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final SparkSession spark;
    private final ZeroSparkConfig config;
    private final PipelineStages stages;
    private final ModelRegistry registry;
    private final RunsTable runs;

    private PipelineRunner(SparkSession spark, ZeroSparkConfig config, PipelineStages stages) {
        this.spark = spark;
        this.config = config;
        this.stages = stages;
        this.registry = ModelRegistry.open(spark, config.pipeline().registry(), config.pipeline().name());
        this.runs = new RunsTable(spark, registry.uri() + "/" + RUNS);
    }

    public static PipelineRunner create(SparkSession spark, ZeroSparkConfig config, PipelineStages stages) {
        check(config, stages);
        return new PipelineRunner(spark, config, stages);
    }

    /** Everything a run needs from the config, checked before anything runs. */
    static void check(ZeroSparkConfig config, PipelineStages stages) {
        PipelineConfig p = config.pipeline();
        require(p.name(), "pipeline.name");
        require(p.registry(), "pipeline.registry");
        require(config.prepare().output(), "prepare.output");
        if (p.stages().prepare()) {
            require(config.prepare().input(), "prepare.input");
            require(config.prepare().tokenizer(), "prepare.tokenizer");
        }
        if (p.stages().augment()) require(p.augment().teacher(), "pipeline.augment.teacher");
        if (p.stages().eval()) {
            require(p.eval().table(), "pipeline.eval.table");
            if (p.eval().version() == null) throw missing("pipeline.eval.version");
        }
        stages.check(p);
    }

    private static void require(String value, String key) {
        if (value == null || value.isBlank()) throw missing(key);
    }

    private static ConfigException missing(String key) {
        return new ConfigException(key, key + " is required by pipeline run (set it in the config file)");
    }

    /** A new run's id: UTC start time and a random suffix, so ids sort by start and never collide. */
    static String newRunId() {
        return RUN_ID_TIME.format(Instant.now()) + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Override
    public PipelineRuns runs() {
        return runs;
    }

    @Override
    public PipelineSummary run(String requested) {
        if (requested != null && !requested.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
            throw new ConfigException("--run-id", "--run-id '" + requested + "' must be letters, digits, '.', '_' or '-' (it names a directory)");
        }
        String runId = requested != null ? requested : newRunId();
        Duration ttl = Duration.ofSeconds(config.pipeline().leaseTtlS());
        try (Lease lease = Lease.acquire(registry.uri() + "/" + LEASE, runId, ttl, spark.sparkContext().hadoopConfiguration())) {
            lease.startRenewing();
            return runHolding(runId, lease);
        }
    }

    private PipelineSummary runHolding(String runId, Lease lease) {
        List<StageRecord> before = runs.latest(runId);
        int attempt = runs.nextAttempt(runId);
        Map<String, StageRecord> done = new HashMap<>();
        String nothingNew = null;
        for (StageRecord r : before) {
            if (!r.status().done()) continue;
            done.put(r.stage(), r);
            if (r.status() == StageStatus.SKIPPED && metrics(r).path("nothing_new").asBoolean(false)) nothingNew = r.error();
        }
        LOG.info("pipeline run {} attempt {}{}", runId, attempt, done.isEmpty() ? "" : " resumes after " + done.keySet());
        Context ctx = new Context(runId, done);
        for (Stage stage : stages.stages()) {
            String name = stage.name();
            if (done.containsKey(name)) {
                LOG.info("stage {}: {} in an earlier attempt", name, done.get(name).status().value());
                continue;
            }
            try {
                lease.check();
            } catch (RuntimeException e) {
                return summary(runId, name, e.getMessage());
            }
            Instant start = Instant.now();
            StageResult result;
            if (!enabled(name)) {
                result = StageResult.skipped("disabled: pipeline.stages." + name + " is false");
            } else if (nothingNew != null && NEED_NEW_DATA.contains(name)) {
                result = StageResult.skipped(nothingNew);
            } else {
                runs.append(new StageRecord(runId, name, StageStatus.STARTED, attempt, start, null, Map.of(), Map.of(), null, null));
                LOG.info("stage {}: started (run {}, attempt {})", name, runId, attempt);
                try {
                    result = stage.run(ctx);
                } catch (Exception e) {
                    String error = message(e);
                    LOG.error("stage {} of run {} failed: {}", name, runId, error, e);
                    runs.append(new StageRecord(runId, name, StageStatus.FAILED, attempt, start, Instant.now(), Map.of(), Map.of(), null, error));
                    return summary(runId, name, error);
                }
            }
            StageRecord r = new StageRecord(runId, name, result.status(), attempt, start, Instant.now(), result.inputVersions(),
                    result.outputVersions(), result.metrics().toString(), result.reason());
            runs.append(r);
            done.put(name, r);
            LOG.info("stage {}: {}{}", name, r.status().value(), result.reason() == null ? "" : " (" + result.reason() + ")");
            if (result.nothingNew()) nothingNew = result.reason();
        }
        return summary(runId, null, null);
    }

    private boolean enabled(String stage) {
        PipelineConfig.Stages s = config.pipeline().stages();
        return switch (stage) {
            case Stage.PREPARE -> s.prepare();
            case Stage.AUGMENT -> s.augment();
            case Stage.TRAIN -> s.train();
            case Stage.EVAL -> s.eval();
            case Stage.PROMOTE -> s.promote();
            case Stage.GENERATE -> s.generate();
            default -> throw new IllegalArgumentException("unknown stage " + stage);
        };
    }

    private PipelineSummary summary(String runId, String failedStage, String error) {
        List<StageRecord> latest = runs.latest(runId);
        boolean nothingNew = latest.stream().anyMatch(r -> r.status() == StageStatus.SKIPPED && metrics(r).path("nothing_new").asBoolean(false));
        PipelineSummary.Outcome outcome = failedStage != null ? PipelineSummary.Outcome.FAILED
                : nothingNew ? PipelineSummary.Outcome.NOTHING_NEW : PipelineSummary.Outcome.DONE;
        String decision = latest.stream().filter(r -> r.stage().equals(Stage.PROMOTE)).findFirst()
                .map(r -> r.status() == StageStatus.SUCCEEDED ? metrics(r).path("decision").asText(null) : r.error()).orElse(null);
        String champion = registry.champion().map(ModelVersion::label).orElse(null);
        return new PipelineSummary(runId, outcome, failedStage, error, latest, champion, decision);
    }

    static ObjectNode metrics(StageRecord r) {
        if (r.metrics() == null || r.metrics().isBlank()) return JsonNodeFactory.instance.objectNode();
        try {
            JsonNode n = ConfigLoader.jsonMapper().readTree(r.metrics());
            return n instanceof ObjectNode o ? o : JsonNodeFactory.instance.objectNode();
        } catch (IOException e) {
            throw new IllegalStateException("pipeline_runs row of run " + r.runId() + " stage " + r.stage() + " holds metrics that are not JSON: " + r.metrics(), e);
        }
    }

    /** The failure's message without embedded stack traces, with its type when it has none. */
    static String message(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) return e.getClass().getSimpleName();
        int cut = m.indexOf("\n\tat ");
        return (cut > 0 ? m.substring(0, cut) : m).strip();
    }

    private final class Context implements StageContext {
        private final String runId;
        private final Map<String, StageRecord> done;

        Context(String runId, Map<String, StageRecord> done) {
            this.runId = runId;
            this.done = done;
        }

        @Override
        public SparkSession spark() {
            return spark;
        }

        @Override
        public ZeroSparkConfig config() {
            return config;
        }

        @Override
        public String runId() {
            return runId;
        }

        @Override
        public ModelRegistry registry() {
            return registry;
        }

        @Override
        public String runDir() {
            return registry.uri() + "/runs/" + runId;
        }

        @Override
        public PipelineRuns runs() {
            return runs;
        }

        @Override
        public Optional<StageRecord> done(String stage) {
            return Optional.ofNullable(done.get(stage));
        }

        @Override
        public ObjectNode metricsOf(String stage) {
            return done(stage).map(PipelineRunner::metrics).orElseGet(JsonNodeFactory.instance::objectNode);
        }
    }
}
