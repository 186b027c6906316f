package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.training.TrainJob;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real Spark standalone cluster (Master + 2 Workers, separate JVMs on 127.0.0.1, started by
 * deploy/cluster/standalone.sh from the build's jars). The fat jar is submitted through SparkSubmit to train on
 * 2 ranks; one executor JVM is killed with SIGKILL mid-training. The run must finish by resuming from its last
 * checkpoint, with the same final loss as an uninterrupted run.
 */
class StandaloneClusterRecoveryIT {
    private static final int STEPS = 40;
    private Path clusterDir;

    @AfterEach
    void stopCluster() throws Exception {
        if (clusterDir != null) {
            new ProcessBuilder("bash", script().toString(), "stop", clusterDir.toString()).inheritIO().start().waitFor(60, TimeUnit.SECONDS);
        }
    }

    private static Path script() {
        return TestPaths.repoRoot().resolve("deploy/cluster/standalone.sh");
    }

    private static Map<String, Object> trainKeys(String data, Path dir, String name) {
        Map<String, Object> o = new HashMap<>();
        o.put("train.model", TestPaths.fixture("tiny-gpt2").toString());
        o.put("train.data", data);
        o.put("train.world_size", 2);
        o.put("train.zero.stage", 2);
        o.put("train.steps", STEPS);
        o.put("train.micro_batch_size", 2);
        o.put("train.optimizer.lr", 5e-3);
        o.put("train.optimizer.warmup_steps", 4);
        o.put("train.checkpoint_dir", dir.resolve(name + "-ckpt").toUri().toString());
        o.put("train.checkpoint_interval", 4);
        o.put("train.eval_interval", 0);
        o.put("train.run_dir", dir.resolve(name + "-run").toUri().toString());
        return o;
    }

    @Test
    void killedExecutorIsSurvivedByResumingFromCheckpoint(@TempDir Path dir) throws Exception {
        // Data: a small lm_blocks table on local disk.
        Random rnd = new Random(3);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            List<Integer> ids = new ArrayList<>();
            int start = 4 * rnd.nextInt(8);
            for (int t = 0; t < 17; t++) ids.add(start + t % 4);
            rows.add(RowFactory.create(String.format("b%03d", i), i < 40 ? "train" : "validation", ids, "run"));
        }
        StructType schema = new StructType().add("block_id", DataTypes.StringType).add("split", DataTypes.StringType)
                .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType)).add("run_id", DataTypes.StringType);
        String data = dir.resolve("lm_blocks").toUri().toString();
        LocalSpark.session().createDataFrame(rows, schema).write().format("delta").save(data);

        // Baseline: the same run, uninterrupted, in local mode.
        TrainConfig baseline = ConfigLoader.load(null, trainKeys(data, dir, "baseline")).train();
        double expected = TrainJob.run(LocalSpark.session(), baseline).metrics().get(STEPS - 1).loss();

        clusterDir = dir.resolve("cluster");
        Process start = new ProcessBuilder("bash", script().toString(), "start", clusterDir.toString(), "2", "1", "2g")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String master = new String(start.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(start.waitFor(5, TimeUnit.MINUTES) && start.exitValue() == 0, "cluster did not start: " + master);

        List<String> cmd = SparkSubmitCommand.base("1g");
        Map<String, Object> keys = trainKeys(data, dir, "cluster");
        cmd.addAll(List.of("--master", master,
                "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
                "--conf", "spark.ui.enabled=false", "--conf", "spark.executor.memory=1g", "--conf", "spark.cores.max=2",
                "--conf", "spark.driver.extraJavaOptions=-Dai.djl.offline=true",
                "--conf", "spark.executor.extraJavaOptions=-Dai.djl.offline=true",
                "--class", "dev.zerospark.cli.ZeroSpark", SparkSubmitCommand.fatJar(),
                "train", "--model", keys.get("train.model").toString(), "--data", data, "--world-size", "2",
                "--zero-stage", "2", "--steps", String.valueOf(STEPS), "--micro-batch-size", "2", "--lr", "5e-3",
                "--checkpoint-dir", keys.get("train.checkpoint_dir").toString(), "--checkpoint-interval", "4",
                "--run-dir", keys.get("train.run_dir").toString(), "--config", writeExtra(dir)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(dir.resolve("submit.err").toFile());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process submit = pb.start();

        // Once the step-4 checkpoint is complete, SIGKILL one executor JVM.
        Path firstCheckpoint = dir.resolve("cluster-ckpt/step-4/manifest.json");
        long deadline = System.currentTimeMillis() + TimeUnit.MINUTES.toMillis(8);
        while (!Files.exists(firstCheckpoint) && submit.isAlive() && System.currentTimeMillis() < deadline) {
            Thread.sleep(100); // polling a file another process writes; there is nothing to wait on
        }
        assertTrue(Files.exists(firstCheckpoint), "no checkpoint appeared:\n" + tail(dir.resolve("submit.err")));
        Optional<ProcessHandle> executor = ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains("CoarseGrainedExecutorBackend")
                        && c.contains(clusterDir.toString())).orElse(false))
                .findFirst();
        assertTrue(executor.isPresent(), "no executor JVM found");
        assertTrue(submit.isAlive(), "training finished before the executor could be killed");
        executor.get().destroyForcibly();

        String stdout = new String(submit.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(submit.waitFor(10, TimeUnit.MINUTES), "spark-submit did not finish");
        String err = tail(dir.resolve("submit.err"));
        if (submit.exitValue() != 0) {
            Path kept = TestPaths.repoRoot().resolve("deploy/target/standalone-submit.err");
            Files.copy(dir.resolve("submit.err"), kept, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            String relevant = String.join("\n", Files.readAllLines(dir.resolve("submit.err")).stream()
                    .filter(l -> l.contains("zerospark") || l.contains("TrainJob") || l.contains("RankTrainer")
                            || l.contains("Exception") || l.contains("SPARK-24819"))
                    .limit(60).toList());
            assertEquals(0, submit.exitValue(), "training failed (full log kept in " + kept + "):\n" + stdout + "\n" + relevant);
        }
        String[] lines = stdout.strip().split("\n");
        JsonNode result = new ObjectMapper().readTree(lines[lines.length - 1]);
        assertTrue(result.get("restarts").asInt() >= 1, "the run should have restarted: " + result + "\n" + err);
        assertEquals(expected, result.get("final_loss").asDouble(), 1e-5 * expected, "final loss after recovery");
    }

    /** Settings without flags: threads per rank and a quick restart budget. */
    private static String writeExtra(Path dir) throws Exception {
        Path f = dir.resolve("extra.yaml");
        Files.writeString(f, "train:\n  threads: 1\n  max_restarts: 3\n  eval_interval: 0\n  optimizer:\n    warmup_steps: 4\n");
        return f.toString();
    }

    private static String tail(Path p) throws Exception {
        if (!Files.exists(p)) return "";
        String s = Files.readString(p);
        return s.length() > 8000 ? s.substring(s.length() - 8000) : s;
    }
}
