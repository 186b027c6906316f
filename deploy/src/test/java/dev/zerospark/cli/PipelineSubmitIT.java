package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.data.sample.SampleCorpus;
import dev.zerospark.pipeline.StageRecord;
import dev.zerospark.pipeline.StageStatus;
import dev.zerospark.pipeline.internal.RunsTable;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The retraining pipeline end to end on a real Spark standalone cluster (deploy/cluster/standalone.sh: a Master and
 * a Worker, separate JVMs), submitted by deploy/yarn/submit.sh itself with {@code --master spark://...}, so the
 * settings are provably those of the YARN submission minus YARN's own. Client deploy mode, as an Airflow or cron
 * submission of the pipeline runs: the driver, which runs the stages, is the spark-submit JVM, and its exit code is
 * the pipeline's.
 *
 * <p>Run 1 (prepare, train, eval, promote v1, generate) runs once; its state is copied to a second directory, so
 * two run 2s start from the same state: "plain" runs it uninterrupted; "killed" is SIGKILLed once its train stage
 * has written a checkpoint, and the rerun of the same run id resumes from it. Both must end in the same state (the
 * same champion and the same riddle rows). Run 3 on "killed", with no new data, exits "nothing new" and says so.
 */
class PipelineSubmitIT {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineSubmitIT.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern REGISTERED = Pattern.compile("Registered app .* with ID (app-\\S+)");
    private static final Pattern REMOVED = Pattern.compile("Removing app (app-\\S+)");

    @TempDir
    static Path clusterDir;
    private static String master;
    private static Path sparkSubmit;

    record Result(int code, String out, String err, Duration took) {}

    @BeforeAll
    static void startCluster() throws Exception {
        assertTrue(Files.isRegularFile(Paths.get(SparkSubmitCommand.fatJar())), "fat jar missing: " + SparkSubmitCommand.fatJar());
        long t0 = System.nanoTime();
        // One Worker with both cores: one executor per application (spark.cores.max below), as on a small cluster.
        Process start = new ProcessBuilder("bash", clusterScript().toString(), "start", clusterDir.toString(), "1", "2", "2g")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String url = new String(start.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(start.waitFor(3, TimeUnit.MINUTES) && start.exitValue() == 0, "cluster did not start: " + url);
        master = url;
        LOG.info("standalone cluster {} up in {} ms", master, ms(t0));
        // submit.sh runs $SPARK_SUBMIT; this build has no Spark distribution, so stand in for bin/spark-submit: the
        // same JVM flags and classpath a cluster's spark-submit has. exec keeps one process: the driver's pid.
        List<String> java = SparkSubmitCommand.base("2g");
        StringBuilder sh = new StringBuilder("#!/usr/bin/env bash\nexec");
        for (String a : java) sh.append(' ').append(quote(a));
        sh.append(" \"$@\"\n");
        sparkSubmit = clusterDir.resolve("spark-submit");
        Files.writeString(sparkSubmit, sh.toString());
        assertTrue(sparkSubmit.toFile().setExecutable(true));
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (master == null) return;
        Process stop = new ProcessBuilder("bash", clusterScript().toString(), "stop", clusterDir.toString()).inheritIO().start();
        assertTrue(stop.waitFor(1, TimeUnit.MINUTES), "standalone.sh stop did not finish");
    }

    private static Path clusterScript() {
        return TestPaths.repoRoot().resolve("deploy/cluster/standalone.sh");
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static Path config(Path work) throws Exception {
        String tiny = TestPaths.fixture("tiny-gpt2").toString();
        Path f = work.resolve("pipeline.yaml");
        Files.writeString(f, String.join("\n",
                "pipeline:",
                "  name: riddler",
                "  registry: " + work.resolve("registry").toUri(),
                "  base_model: " + tiny,
                // 8 steps, a checkpoint every 2: the kill lands after the first checkpoint, well before the last.
                "  steps: 8",
                "  replay_fraction: 0.5",
                "  eval: {table: '" + work.resolve("tables/lm_blocks").toUri() + "', version: 0, max_rows: 8}",
                "prepare:",
                "  input: '" + work.resolve("inbox") + "/*.jsonl'",
                "  tokenizer: " + tiny,
                "  output: " + work.resolve("tables"),
                "  seq_len: 32",
                "train:",
                "  world_size: 1",
                "  micro_batch_size: 2",
                "  checkpoint_interval: 2",
                "  eval_interval: 0",
                "  optimizer: {lr: 0.001}",
                "generate:",
                "  max_new_tokens: 4",
                ""));
        return f;
    }

    /** deploy/yarn/submit.sh with --master spark://...: the pipeline run in client mode on the standalone cluster. */
    private static Process start(Path work, String runId, String name) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", TestPaths.repoRoot().resolve("deploy/yarn/submit.sh").toString(),
                "--master", master, "--jar", SparkSubmitCommand.fatJar(),
                // Loopback only, and no UI: several drivers on one machine.
                "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1", "--conf", "spark.ui.enabled=false",
                // All of the Worker's cores, no more: one application at a time, and a killed one's executor is
                // gone (waitForNoApplication) before the next asks for them.
                "--conf", "spark.cores.max=2",
                // Tiny tables: Delta's 50 snapshot partitions and 200 shuffle partitions would be 50 and 200 tasks
                // per table read on one executor (SparkSessions.LOCAL sets the same when not under spark-submit).
                "--conf", "spark.databricks.delta.snapshotPartitions=2", "--conf", "spark.sql.shuffle.partitions=4",
                "--", "pipeline", "run", "--config", config(work).toString(), "--run-id", runId));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("SPARK_SUBMIT", sparkSubmit.toString());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        // This machine's sizing for submit.sh; CPU ranks (no GPU scheduling settings at all).
        pb.environment().put("ZS_GPUS_PER_EXECUTOR", "0");
        pb.environment().put("ZS_EXECUTOR_CORES", "2");
        pb.environment().put("ZS_EXECUTOR_MEMORY", "1g");
        pb.environment().put("ZS_DRIVER_MEMORY", "2g");
        pb.redirectOutput(work.resolve(name + ".out").toFile()).redirectError(work.resolve(name + ".err").toFile());
        return pb.start();
    }

    private static Result run(Path work, String runId, String name) throws Exception {
        long t0 = System.nanoTime();
        Process p = start(work, runId, name);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), name + " did not finish");
        Result r = new Result(p.exitValue(), Files.readString(work.resolve(name + ".out")),
                tail(Files.readString(work.resolve(name + ".err"))), Duration.ofNanos(System.nanoTime() - t0));
        LOG.info("{} ({}): exit {} after {} ms", name, work.getFileName(), r.code(), r.took().toMillis());
        waitForNoApplication();
        return r;
    }

    /**
     * Until the Master has removed every application it registered (a barrier on its log, not a sleep): a killed
     * driver's application holds the Worker's cores until the Master notices the lost connection and kills its
     * executor, and the next submission would wait for them.
     */
    private static void waitForNoApplication() throws Exception {
        Path log = clusterDir.resolve("master.log");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (true) {
            String text = Files.readString(log);
            Set<String> active = ids(REGISTERED, text);
            active.removeAll(ids(REMOVED, text));
            if (active.isEmpty()) return;
            assertTrue(System.nanoTime() < deadline, "the Master still runs " + active + " a minute after its driver ended");
            Thread.sleep(50); // polling a log another process writes; there is nothing to wait on
        }
    }

    private static Set<String> ids(Pattern p, String text) {
        Set<String> s = new TreeSet<>();
        Matcher m = p.matcher(text);
        while (m.find()) s.add(m.group(1));
        return s;
    }

    private static JsonNode summary(Result r) throws Exception {
        List<String> lines = r.out().strip().lines().toList();
        return JSON.readTree(lines.get(lines.size() - 1));
    }

    private static String tail(String s) {
        return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
    }

    private static void arrive(Path work, int round) throws Exception {
        Path inbox = Files.createDirectories(work.resolve("inbox"));
        if (round == 1) SampleCorpus.write(inbox, 24, 42);
        else Files.write(inbox.resolve("new.jsonl"), PipelineCommandTest.articles("fresh", 10, 11));
    }

    private static RunsTable runs(Path work) {
        return new RunsTable(LocalSpark.session(), work.resolve("registry/riddler/pipeline_runs").toUri().toString());
    }

    private static JsonNode metrics(Path work, String runId, String stage) throws Exception {
        return JSON.readTree(runs(work).latest(runId).stream().filter(x -> x.stage().equals(stage)).findFirst().orElseThrow().metrics());
    }

    @Test
    void runsPromoteGenerateSayNothingNewAndAKilledRunResumesToTheSameState(@TempDir Path dir) throws Exception {
        long t0 = System.nanoTime();
        Path plain = Files.createDirectories(dir.resolve("plain"));
        Path killed = dir.resolve("killed");

        // Run 1, then new articles arrive; the killed scenario starts from a copy of this state.
        arrive(plain, 1);
        Result r1 = run(plain, "run-1", "run-1");
        assertEquals(0, r1.code(), r1.out() + r1.err());
        JsonNode s1 = summary(r1);
        assertEquals("v1", s1.get("champion").asText(), s1.toString());
        assertTrue(r1.out().contains("stage generate: succeeded"), r1.out());
        long articles1 = articles(plain);
        assertEquals(articles1, metrics(plain, "run-1", "generate").path("written").asLong(-1), "run 1 riddles every article: " + metrics(plain, "run-1", "generate"));
        arrive(plain, 2);
        copy(plain, killed);

        Result p2 = run(plain, "run-2", "run-2");
        assertEquals(0, p2.code(), p2.out() + p2.err());
        JsonNode ps = summary(p2);
        assertTrue(p2.out().contains("stage prepare: succeeded") && p2.out().contains("stage generate: succeeded"), p2.out());
        assertTrue(ps.get("decision").asText().startsWith("promoted v2") || ps.get("decision").asText().startsWith("kept champion v1"), ps.toString());
        JsonNode prep = metrics(plain, "run-2", "prepare");
        assertEquals(10, prep.get("new_articles").asLong(), "run 2 prepares only the new file's articles: " + prep);
        JsonNode plainTrain = metrics(plain, "run-2", "train");
        assertTrue(plainTrain.get("from_model").asText().endsWith("/riddler/v1"), "continues from v1: " + plainTrain);
        JsonNode gen = metrics(plain, "run-2", "generate");
        // Kept v1: only the 10 new articles lack a riddle from it. Promoted v2: every article lacks one from v2.
        assertEquals(ps.get("champion").asText().equals("v1") ? 10 : articles1 + 10, gen.path("written").asLong(-1), "generated only what lacks a riddle: " + gen + " " + ps);

        // Killed: SIGKILL the driver once run 2's train stage has a checkpoint (a barrier on the file, not a sleep).
        Process k = start(killed, "run-2", "run-2-killed");
        Path ckpt = killed.resolve("registry/riddler/runs/run-2/checkpoints");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        while (!Files.isRegularFile(ckpt.resolve("latest"))) { // written once a checkpoint is complete
            assertTrue(k.isAlive(), "run 2 ended before its first checkpoint: " + Files.readString(killed.resolve("run-2-killed.out")));
            assertTrue(System.nanoTime() < deadline, "no checkpoint in " + ckpt + " within 4 minutes");
            Thread.sleep(20);
        }
        k.destroyForcibly(); // SIGKILL to the driver JVM (submit.sh and the stand-in spark-submit exec into it)
        assertTrue(k.waitFor(1, TimeUnit.MINUTES));
        assertEquals(137, k.exitValue(), "killed by SIGKILL");
        waitForNoApplication();
        Result resumed = run(killed, "run-2", "run-2-resumed");
        assertEquals(0, resumed.code(), resumed.out() + resumed.err());
        JsonNode ks = summary(resumed);
        List<String> secondAttempt = runs(killed).records("run-2").stream()
                .filter(x -> x.attempt() == 2 && x.status() == StageStatus.STARTED).map(StageRecord::stage).toList();
        assertEquals(List.of("train", "eval", "promote", "generate"), secondAttempt, "the rerun resumed at train");
        JsonNode train = metrics(killed, "run-2", "train");
        assertTrue(train.get("resumed_from_step").asInt() > 0, "train resumed from its checkpoint: " + train);
        assertEquals(ps.get("champion").asText(), ks.get("champion").asText(), "same champion: " + ps + " vs " + ks);
        assertEquals(ps.get("decision").asText().replaceAll("\\d\\.\\d+", "#"), ks.get("decision").asText().replaceAll("\\d\\.\\d+", "#"));
        assertEquals(riddleRows(plain), riddleRows(killed));

        Result k3 = run(killed, "run-3", "run-3");
        assertEquals(3, k3.code(), k3.out() + k3.err());
        assertEquals("nothing_new", summary(k3).get("outcome").asText());
        assertTrue(k3.out().contains("nothing new: train, eval and promote skipped"), k3.out());
        profile(plain, List.of("run-1", "run-2"));
        profile(killed, List.of("run-2", "run-3"));
        LOG.info("whole scenario: {} ms", ms(t0));
    }

    /** Where the time went: each stage's duration as pipeline_runs recorded it (in the test's output file). */
    private static void profile(Path work, List<String> runIds) {
        for (String runId : runIds) {
            for (StageRecord r : runs(work).records(runId)) {
                if (r.endedAt() != null && r.startedAt() != null) {
                    LOG.info("profile {} {} attempt {} {} {}: {} ms", work.getFileName(), runId, r.attempt(), r.stage(), r.status().value(),
                            Duration.between(r.startedAt(), r.endedAt()).toMillis());
                }
            }
        }
    }

    private static long articles(Path work) {
        return LocalSpark.session().read().format("delta").load(work.resolve("tables/articles").toUri().toString()).count();
    }

    private static void copy(Path from, Path to) throws Exception {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    private static long ms(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    /** The riddles as sorted (article_id, model_id, completion) lines, read with a local Spark. */
    private static List<String> riddleRows(Path work) {
        var spark = LocalSpark.session();
        List<String> rows = new ArrayList<>();
        for (var r : spark.read().format("delta").load(work.resolve("registry/riddler/riddles").toUri().toString())
                .select("article_id", "model_id", "completion").collectAsList()) {
            rows.add(r.getString(0) + "\t" + r.getString(1) + "\t" + r.getString(2));
        }
        return new ArrayList<>(new TreeSet<>(rows));
    }
}
