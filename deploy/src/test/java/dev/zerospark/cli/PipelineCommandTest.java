package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.data.PrepareJob;
import dev.zerospark.data.generate.internal.ModelFiles;
import dev.zerospark.data.sample.SampleCorpus;
import dev.zerospark.pipeline.Stage;
import dev.zerospark.pipeline.StageRecord;
import dev.zerospark.pipeline.StageStatus;
import dev.zerospark.pipeline.internal.Lease;
import dev.zerospark.pipeline.internal.RunsTable;
import dev.zerospark.registry.ModelRegistry;
import dev.zerospark.registry.ModelVersion;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import org.apache.spark.sql.delta.DeltaLog;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import scala.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code zerospark pipeline run} end to end on local Spark and Delta, in order: a first run prepares the sample,
 * trains tiny-gpt2 a few steps and promotes v1; a rerun with no new data ends "nothing new"; new articles with a bad
 * eval set fail at eval, and the same run id with the eval set fixed resumes there; a run started while another is
 * active fails at once naming it, and an expired lease is taken over.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PipelineCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path work;
    private static String registry;
    private static String evalTable;
    private static long evalVersion;

    @BeforeAll
    static void corpusAndEvalSet() throws Exception {
        work = Files.createTempDirectory("zs-pipeline-cli");
        registry = work.resolve("registry").toUri().toString();
        SampleCorpus.write(work.resolve("inbox"), 30, 42);
        // The held-out eval set: other articles, all in the validation split, prepared once and pinned.
        Path heldOut = Files.createDirectories(work.resolve("heldout"));
        Files.write(heldOut.resolve("a.jsonl"), articles("held", 6, 7));
        var cfg = ConfigLoader.load(null, Map.of("prepare.input", heldOut.resolve("a.jsonl").toString(), "prepare.tokenizer", tokenizer(),
                "prepare.output", work.resolve("eval").toString(), "prepare.seq_len", 32, "prepare.validation_fraction", 1.0)).prepare();
        PrepareJob.run(LocalSpark.session(), cfg);
        evalTable = PrepareJob.table(cfg, PrepareJob.LM_BLOCKS);
        evalVersion = DeltaLog.forTable(LocalSpark.session(), evalTable).update(false, Option.empty(), Option.empty()).version();
    }

    private static String tokenizer() {
        return TestPaths.fixture("tiny-gpt2").toString();
    }

    /** Articles of distinct random words, so none is a near-duplicate of the sample's templated ones. */
    static List<String> articles(String prefix, int n, long seed) {
        Random r = new Random(seed);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder body = new StringBuilder();
            for (int w = 0; w < 90; w++) {
                StringBuilder word = new StringBuilder();
                for (int c = 0, len = 3 + r.nextInt(6); c < len; c++) word.append((char) ('a' + r.nextInt(26)));
                body.append(word).append(w % 12 == 11 ? ". " : " ");
            }
            lines.add(JSON.createObjectNode().put("id", prefix + "-" + i).put("title", prefix + " story " + i)
                    .put("body", body.toString().strip()).put("published", "2025-01-0" + (1 + i % 9)).toString());
        }
        return lines;
    }

    private static Path config(String evalTableUri) throws Exception {
        Path f = work.resolve("pipeline-" + Math.abs(evalTableUri.hashCode()) + ".yaml");
        Files.writeString(f, String.join("\n",
                "pipeline:",
                "  name: riddler",
                "  registry: " + registry,
                "  base_model: " + tokenizer(),
                "  steps: 4",
                "  replay_fraction: 0.5",
                "  eval: {table: '" + evalTableUri + "', version: " + evalVersion + ", max_rows: 16}",
                "prepare:",
                "  input: '" + work.resolve("inbox") + "/*.jsonl'",
                "  tokenizer: " + tokenizer(),
                "  output: " + work.resolve("tables"),
                "  seq_len: 32",
                "train:",
                "  world_size: 1",
                "  micro_batch_size: 2",
                "  checkpoint_interval: 2",
                "  eval_interval: 0",
                "  optimizer: {lr: 0.001}",
                "generate:",
                "  max_new_tokens: 6",  // tiny-gpt2 has 64 positions: the rest is the riddle prompt
                ""));
        return f;
    }

    private static CliRun pipeline(Path config, String runId) {
        return CliRun.of("pipeline", "run", "--config", config.toString(), "--run-id", runId, "--master", "local[2]");
    }

    private static JsonNode summary(CliRun r) throws Exception {
        List<String> lines = r.out().strip().lines().toList();
        return JSON.readTree(lines.get(lines.size() - 1));
    }

    private static RunsTable runs() {
        return new RunsTable(LocalSpark.session(), ModelRegistry.open(LocalSpark.session(), registry, "riddler").uri() + "/pipeline_runs");
    }

    private static Map<String, StageStatus> statuses(String runId) {
        Map<String, StageStatus> m = new java.util.LinkedHashMap<>();
        for (StageRecord r : runs().latest(runId)) m.put(r.stage(), r.status());
        return m;
    }

    @Test
    @Order(1)
    void aFirstRunPreparesTrainsAndPromotesV1() throws Exception {
        CliRun r = pipeline(config(evalTable), "run-1");
        assertEquals(0, r.code(), r.toString());
        JsonNode s = summary(r);
        assertEquals("done", s.get("outcome").asText());
        assertEquals("v1", s.get("champion").asText());
        assertEquals(Map.of(Stage.PREPARE, StageStatus.SUCCEEDED, Stage.AUGMENT, StageStatus.SKIPPED, Stage.TRAIN, StageStatus.SUCCEEDED,
                Stage.EVAL, StageStatus.SUCCEEDED, Stage.PROMOTE, StageStatus.SUCCEEDED, Stage.GENERATE, StageStatus.SUCCEEDED), statuses("run-1"));
        StageRecord train = runs().latest("run-1").stream().filter(x -> x.stage().equals(Stage.TRAIN)).findFirst().orElseThrow();
        assertTrue(train.inputVersions().containsKey("lm_blocks"), train.toString());
        JsonNode tm = JSON.readTree(train.metrics());
        assertEquals(4, tm.get("exported_step").asInt());
        assertEquals(-1, tm.get("baseline_version").asLong(), "the first run trains on everything");
        assertEquals(0, tm.get("replay_rows").asLong());

        ModelRegistry reg = ModelRegistry.open(LocalSpark.session(), registry, "riddler");
        ModelVersion v1 = reg.champion().orElseThrow();
        assertEquals(1, v1.version());
        assertTrue(v1.metrics().path("eval").path("metrics").path("perplexity").asDouble() > 1, v1.metrics().toString());
        Path dir = Path.of(java.net.URI.create(v1.uri()));
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "metrics.json", "MODEL_CARD.md")) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f + " in " + dir);
        }
        String card = Files.readString(dir.resolve("MODEL_CARD.md"));
        assertTrue(card.contains("# riddler v1") && card.contains("Base model: " + tokenizer()) && card.contains("Steps: 4")
                && card.contains("perplexity") && card.contains("version " + evalVersion), card);
        assertEquals(1, reg.history().size());
        assertEveryArticleHasOneRiddleFromTheChampion("run-1");
    }

    /** The riddles table holds exactly one row per article of the pinned articles version, all from the champion. */
    private static void assertEveryArticleHasOneRiddleFromTheChampion(String runId) throws Exception {
        StageRecord gen = runs().latest(runId).stream().filter(x -> x.stage().equals(Stage.GENERATE)).findFirst().orElseThrow();
        assertEquals(StageStatus.SUCCEEDED, gen.status(), gen.toString());
        long articlesVersion = gen.inputVersions().get(PrepareJob.ARTICLES);
        var spark = LocalSpark.session();
        var articles = spark.read().format("delta").option("versionAsOf", articlesVersion).load(work.resolve("tables").resolve("articles").toUri().toString());
        String championId = ModelFiles.modelId(ModelRegistry.open(spark, registry, "riddler").champion().orElseThrow().uri(),
                spark.sparkContext().hadoopConfiguration());
        var riddles = spark.read().format("delta").load(riddles()).where(org.apache.spark.sql.functions.col("model_id").equalTo(championId));
        assertEquals(articles.count(), riddles.count(), "one riddle per article from the champion " + championId);
        assertEquals(articles.count(), riddles.select("article_id").distinct().join(articles.select("article_id"), "article_id").count());
    }

    private static String riddles() {
        return ModelRegistry.open(LocalSpark.session(), registry, "riddler").uri() + "/riddles";
    }

    private static long riddleRows() {
        return LocalSpark.session().read().format("delta").load(riddles()).count();
    }

    @Test
    @Order(2)
    void aRunWithNoNewDataSkipsTrainEvalAndPromoteAndSaysSo() throws Exception {
        long riddlesBefore = riddleRows();
        CliRun r = pipeline(config(evalTable), "run-2");
        assertEquals(3, r.code(), r.toString());
        assertEquals("nothing_new", summary(r).get("outcome").asText());
        assertTrue(r.out().contains("nothing new: train, eval and promote skipped"), r.out());
        for (StageRecord x : runs().latest("run-2")) {
            if (List.of(Stage.TRAIN, Stage.EVAL, Stage.PROMOTE).contains(x.stage())) {
                assertEquals(StageStatus.SKIPPED, x.status(), x.toString());
                assertTrue(x.error().startsWith("no new data: ") && x.error().contains("which run run-1 trained on")
                        && x.error().contains("prepare added 0 articles"), x.error());
            }
        }
        assertEquals("v1", summary(r).get("champion").asText());
        StageRecord gen = runs().latest("run-2").stream().filter(x -> x.stage().equals(Stage.GENERATE)).findFirst().orElseThrow();
        assertEquals(0, JSON.readTree(gen.metrics()).get("written").asLong(), "no new article, no new riddle: " + gen);
        assertEquals(riddlesBefore, riddleRows());
    }

    @Test
    @Order(3)
    void aFailedStageResumesThereUnderTheSameRunId() throws Exception {
        Files.write(work.resolve("inbox").resolve("new.jsonl"), articles("fresh", 12, 11));
        String bad = work.resolve("no-such-eval-table").toUri().toString();
        CliRun failed = pipeline(config(bad), "run-3");
        assertEquals(4, failed.code(), failed.toString());
        assertTrue(failed.err().contains("run run-3 failed at stage eval") && failed.err().contains(bad)
                && failed.err().contains("--run-id run-3"), failed.err());
        assertEquals("eval", summary(failed).get("failed_stage").asText());
        assertEquals(StageStatus.FAILED, statuses("run-3").get(Stage.EVAL));
        assertEquals(StageStatus.SUCCEEDED, statuses("run-3").get(Stage.TRAIN));

        CliRun resumed = pipeline(config(evalTable), "run-3");
        assertEquals(0, resumed.code(), resumed.toString());
        List<StageRecord> rows = runs().records("run-3");
        List<String> secondAttempt = rows.stream().filter(x -> x.attempt() == 2 && x.status() == StageStatus.STARTED).map(StageRecord::stage).toList();
        assertEquals(List.of(Stage.EVAL, Stage.PROMOTE, Stage.GENERATE), secondAttempt, "resumed at eval: " + rows);
        assertEquals(1, rows.stream().filter(x -> x.stage().equals(Stage.TRAIN) && x.status() == StageStatus.STARTED).count());
        JsonNode train = JSON.readTree(runs().latest("run-3").stream().filter(x -> x.stage().equals(Stage.TRAIN)).findFirst().orElseThrow().metrics());
        assertTrue(train.get("new_train_rows").asLong() > 0 && train.get("replay_rows").asLong() > 0, train.toString());
        assertTrue(train.get("from_model").asText().endsWith("/riddler/v1"), "continues from the champion: " + train);
        JsonNode s = summary(resumed);
        String decision = s.get("decision").asText();
        ModelRegistry reg = ModelRegistry.open(LocalSpark.session(), registry, "riddler");
        if (decision.startsWith("promoted v2")) {
            assertEquals("v2", s.get("champion").asText());
        } else {
            assertTrue(decision.startsWith("kept champion v1: candidate perplexity"), decision);
            assertEquals("v1", s.get("champion").asText());
            assertEquals(1, reg.versions().size());
        }
        // Kept: riddles only for the new articles; promoted: every article again, from v2.
        assertEveryArticleHasOneRiddleFromTheChampion("run-3");
    }

    @Test
    @Order(4)
    void aSecondRunWhileOneIsActiveFailsAtOnceNamingItAndAnExpiredLeaseIsTakenOver() throws Exception {
        String leaseUri = ModelRegistry.open(LocalSpark.session(), registry, "riddler").uri() + "/pipeline.lease";
        var conf = LocalSpark.session().sparkContext().hadoopConfiguration();
        Files.write(work.resolve("inbox").resolve("more.jsonl"), articles("more", 8, 13));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Future<CliRun> active = pool.submit(() -> pipeline(config(evalTable), "run-4a"));
            // Barrier: run-4a holds the lease (it takes it before prepare, which alone runs for seconds).
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!Lease.read(leaseUri, Duration.ofMinutes(10), conf).map(h -> h.runId().equals("run-4a")).orElse(false)) {
                assertFalse(active.isDone(), "run-4a ended before it was seen holding the lease: " + (active.isDone() ? active.get() : ""));
                assertTrue(System.nanoTime() < deadline, "run-4a did not take the lease within 60 s");
                Thread.sleep(50);
            }
            long start = System.nanoTime();
            CliRun second = pipeline(config(evalTable), "run-4b");
            assertEquals(5, second.code(), second.toString());
            assertTrue(System.nanoTime() - start < 20e9, "at once");
            assertTrue(second.err().contains("pipeline run run-4a (on host ") && second.err().contains("is active"), second.err());
            assertEquals("run-4a", summary(second).get("active_run").asText());
            assertTrue(runs().records("run-4b").isEmpty(), "nothing ran");
            CliRun first = active.get(5, java.util.concurrent.TimeUnit.MINUTES);
            assertEquals(0, first.code(), first.toString());
        } finally {
            pool.shutdownNow();
        }
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(leaseUri);
        try (var out = p.getFileSystem(conf).create(p, false)) {
            out.write(("{\"run_id\":\"dead-run\",\"host\":\"gone\",\"acquired_at\":\"" + Instant.now().minusSeconds(7200)
                    + "\",\"expires_at\":\"" + Instant.now().minusSeconds(3600) + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        CliRun r = pipeline(config(evalTable), "run-5");
        assertEquals(3, r.code(), r.toString());
        assertFalse(p.getFileSystem(conf).exists(p), "released at the end");
    }

    @Test
    @Order(5)
    void registryCommandsListPromoteAndRollBack() throws Exception {
        ModelRegistry reg = ModelRegistry.open(LocalSpark.session(), registry, "riddler");
        if (reg.versions().size() < 2) { // run 3 kept the champion: register its copy by hand to have two versions
            ModelVersion v1 = reg.version(1);
            reg.register(v1.uri(), v1.metrics().deepCopy(), m -> "copy of v1", "manual-copy");
        }
        int newest = reg.versions().get(reg.versions().size() - 1).version();
        String[] where = {"--registry", registry, "--name", "riddler", "--master", "local[2]"};
        CliRun pin = CliRun.of(concat(new String[] {"registry", "promote", "1", "--reason", "pin v1"}, where));
        assertEquals(0, pin.code(), pin.toString());
        assertEquals(1, reg.champion().orElseThrow().version());
        CliRun promote = CliRun.of(concat(new String[] {"registry", "promote", "v" + newest, "--reason", "try the newest"}, where));
        assertEquals(0, promote.code(), promote.toString());
        assertEquals(newest, reg.champion().orElseThrow().version());
        CliRun rollback = CliRun.of(concat(new String[] {"registry", "rollback", "--reason", "riddles got worse"}, where));
        assertEquals(0, rollback.code(), rollback.toString());
        JsonNode back = JSON.readTree(rollback.out().strip());
        assertEquals(newest, back.get("from_version").asInt());
        assertEquals(1, back.get("to_version").asInt());
        assertEquals(1, reg.champion().orElseThrow().version());
        CliRun list = CliRun.of(concat(new String[] {"registry", "list"}, where));
        assertEquals(0, list.code(), list.toString());
        JsonNode l = summary(list);
        List<String> actions = new ArrayList<>();
        l.get("history").forEach(h -> actions.add(h.get("action").asText()));
        assertEquals("manual_promote", actions.get(actions.size() - 2));
        assertEquals("rollback", actions.get(actions.size() - 1));
        assertEquals(1, l.get("champion").asInt());
        assertEquals("riddles got worse", l.get("history").get(actions.size() - 1).get("reason").asText());
        CliRun missing = CliRun.of(concat(new String[] {"registry", "promote", "9"}, where));
        assertEquals(2, missing.code(), missing.toString());
        assertTrue(missing.err().contains("has no complete version v9"), missing.err());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    @Order(6)
    void anAugmentStageWithoutATeacherOrConflictingKeysAreConfigErrors() throws Exception {
        Path aug = Files.writeString(work.resolve("aug.yaml"), Files.readString(config(evalTable)).replace("pipeline:\n", "pipeline:\n  stages: {augment: true}\n"));
        CliRun r = CliRun.of("pipeline", "run", "--config", aug.toString(), "--master", "local[2]");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("pipeline.augment.teacher is required by pipeline run"), r.err());
        // rouge_l is this build's too: no config error; with every article seen, the run ends "nothing new".
        Path rouge = Files.writeString(work.resolve("rouge.yaml"), Files.readString(config(evalTable)).replace("pipeline:\n", "pipeline:\n  promote: {metric: rouge_l}\n"));
        CliRun rl = CliRun.of("pipeline", "run", "--config", rouge.toString(), "--master", "local[2]");
        assertEquals(3, rl.code(), rl.toString());
        Path both = Files.writeString(work.resolve("both.yaml"), Files.readString(config(evalTable)).replace("  steps: 4\n", "  steps: 4\n  epochs: 1.5\n"));
        CliRun b = CliRun.of("pipeline", "run", "--config", both.toString(), "--master", "local[2]");
        assertEquals(2, b.code(), b.toString());
        assertTrue(b.err().contains("pipeline.epochs") && b.err().contains("set one"), b.err());
    }
}
