package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.data.sample.SampleCorpus;
import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The retraining pipeline through spark-submit of the fat jar ({@code --master local[2]}: the kill below must hit
 * the driver, which runs the stages), twice over the same data: scenario "plain" runs 1 and 2 uninterrupted;
 * scenario "killed" (then run 3, nothing new) is SIGKILLed once run 2's train stage has written a checkpoint, and the rerun of the same run id
 * resumes from it. Both end in the same state: the same champion and the same riddle rows.
 */
class PipelineSubmitIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Result(int code, String out, String err) {}

    private static Path config(Path work) throws Exception {
        String tiny = TestPaths.fixture("tiny-gpt2").toString();
        Path f = work.resolve("pipeline.yaml");
        Files.writeString(f, String.join("\n",
                "pipeline:",
                "  name: riddler",
                "  registry: " + work.resolve("registry").toUri(),
                "  base_model: " + tiny,
                "  steps: 12",
                "  replay_fraction: 0.5",
                "  eval: {table: '" + work.resolve("tables/lm_blocks").toUri() + "', version: 0, max_rows: 16}",
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
                "  max_new_tokens: 6",
                ""));
        return f;
    }

    private static Process start(Path work, String runId, String name) throws Exception {
        List<String> cmd = SparkSubmitCommand.base("2g");
        cmd.addAll(List.of("--master", "local[2]", "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
                "--conf", "spark.ui.enabled=false", "--conf", "spark.dynamicAllocation.enabled=false",
                "--conf", "spark.driver.extraJavaOptions=-Dai.djl.offline=true",
                "--class", "dev.zerospark.cli.ZeroSpark", SparkSubmitCommand.fatJar(),
                "pipeline", "run", "--config", config(work).toString(), "--run-id", runId));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.redirectOutput(work.resolve(name + ".out").toFile()).redirectError(work.resolve(name + ".err").toFile());
        return pb.start();
    }

    private static Result run(Path work, String runId, String name) throws Exception {
        Process p = start(work, runId, name);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), name + " did not finish");
        return new Result(p.exitValue(), Files.readString(work.resolve(name + ".out")), tail(Files.readString(work.resolve(name + ".err"))));
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

    /** Run 1 (prepare, train, eval, promote v1, generate), then new articles arrive. */
    private static void runOne(Path work) throws Exception {
        arrive(work, 1);
        Result r1 = run(work, "run-1", "run-1");
        assertEquals(0, r1.code(), r1.out() + r1.err());
        JsonNode s1 = summary(r1);
        assertEquals("v1", s1.get("champion").asText(), s1.toString());
        assertTrue(r1.out().contains("stage generate: succeeded"), r1.out());
        arrive(work, 2);
    }

    @Test
    void runsPromoteGenerateSayNothingNewAndAKilledRunResumesToTheSameState(@TempDir Path dir) throws Exception {
        assertTrue(Files.isRegularFile(Paths.get(SparkSubmitCommand.fatJar())), "fat jar missing: " + SparkSubmitCommand.fatJar());
        Path plain = Files.createDirectories(dir.resolve("plain"));
        Path killed = Files.createDirectories(dir.resolve("killed"));
        runOne(plain);
        runOne(killed);

        Result p2 = run(plain, "run-2", "run-2");
        assertEquals(0, p2.code(), p2.out() + p2.err());
        JsonNode ps = summary(p2);
        assertTrue(p2.out().contains("stage prepare: succeeded") && p2.out().contains("stage generate: succeeded"), p2.out());
        assertTrue(ps.get("decision").asText().startsWith("promoted v2") || ps.get("decision").asText().startsWith("kept champion v1"), ps.toString());
        var plainRuns = new dev.zerospark.pipeline.internal.RunsTable(dev.zerospark.testing.LocalSpark.session(),
                plain.resolve("registry/riddler/pipeline_runs").toUri().toString());
        JsonNode prep = JSON.readTree(plainRuns.latest("run-2").stream().filter(x -> x.stage().equals("prepare")).findFirst().orElseThrow().metrics());
        assertEquals(10, prep.get("new_articles").asLong(), "run 2 prepares only the new file's articles: " + prep);
        JsonNode plainTrain = JSON.readTree(plainRuns.latest("run-2").stream().filter(x -> x.stage().equals("train")).findFirst().orElseThrow().metrics());
        assertTrue(plainTrain.get("from_model").asText().endsWith("/riddler/v1"), "continues from v1: " + plainTrain);

        // Killed: SIGKILL once run 2's train stage has a checkpoint (a barrier on the file, not a sleep).
        Process k = start(killed, "run-2", "run-2-killed");
        Path ckpt = killed.resolve("registry/riddler/runs/run-2/checkpoints");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        while (!hasCheckpoint(ckpt)) {
            assertTrue(k.isAlive(), "run 2 ended before its first checkpoint: " + Files.readString(killed.resolve("run-2-killed.out")));
            assertTrue(System.nanoTime() < deadline, "no checkpoint in " + ckpt + " within 4 minutes");
            Thread.sleep(20);
        }
        k.destroyForcibly(); // SIGKILL
        assertTrue(k.waitFor(1, TimeUnit.MINUTES));
        assertEquals(137, k.exitValue(), "killed by SIGKILL");
        Result resumed = run(killed, "run-2", "run-2-resumed");
        assertEquals(0, resumed.code(), resumed.out() + resumed.err());
        JsonNode ks = summary(resumed);
        var runs = new dev.zerospark.pipeline.internal.RunsTable(dev.zerospark.testing.LocalSpark.session(),
                killed.resolve("registry/riddler/pipeline_runs").toUri().toString());
        List<String> secondAttempt = runs.records("run-2").stream()
                .filter(x -> x.attempt() == 2 && x.status() == dev.zerospark.pipeline.StageStatus.STARTED).map(x -> x.stage()).toList();
        assertEquals(List.of("train", "eval", "promote", "generate"), secondAttempt, "the rerun resumed at train");
        JsonNode train = JSON.readTree(runs.latest("run-2").stream().filter(x -> x.stage().equals("train")).findFirst().orElseThrow().metrics());
        assertTrue(train.get("resumed_from_step").asInt() > 0, "train resumed from its checkpoint: " + train);
        assertEquals(ps.get("champion").asText(), ks.get("champion").asText(), "same champion: " + ps + " vs " + ks);
        assertEquals(ps.get("decision").asText().replaceAll("\\d\\.\\d+", "#"), ks.get("decision").asText().replaceAll("\\d\\.\\d+", "#"));

        Result k3 = run(killed, "run-3", "run-3");
        assertEquals(3, k3.code(), k3.out() + k3.err());
        assertEquals("nothing_new", summary(k3).get("outcome").asText());
        assertTrue(k3.out().contains("nothing new: train, eval and promote skipped"), k3.out());
        assertEquals(riddleRows(plain), riddleRows(killed));
    }

    private static boolean hasCheckpoint(Path ckpt) throws Exception {
        return Files.isRegularFile(ckpt.resolve("latest")); // written once a checkpoint is complete
    }

    /** The riddles as sorted (article_id, model_id, completion) lines, read with a local Spark. */
    private static List<String> riddleRows(Path work) {
        var spark = dev.zerospark.testing.LocalSpark.session();
        List<String> rows = new ArrayList<>();
        for (var r : spark.read().format("delta").load(work.resolve("registry/riddler/riddles").toUri().toString())
                .select("article_id", "model_id", "completion").collectAsList()) {
            rows.add(r.getString(0) + "\t" + r.getString(1) + "\t" + r.getString(2));
        }
        return new ArrayList<>(new TreeSet<>(rows));
    }
}
