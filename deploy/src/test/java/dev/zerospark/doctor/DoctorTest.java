package dev.zerospark.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.testing.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code zerospark doctor} in its own JVM, as a user runs it: each run starts a real local[N] Spark session whose
 * settings come from {@code -Dspark.*} (as spark-submit passes them), so every run has the SparkContext it checks
 * (one per JVM) without touching the shared test session. S3 is S3Proxy in this JVM.
 */
class DoctorTest {
    private static S3ProxyServer s3;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = S3ProxyServer.start();
    }

    @AfterAll
    static void stopS3() throws Exception {
        s3.close();
    }

    record Run(int code, List<String> lines, JsonNode summary, String stdout, String stderr) {
        String line(String status, String setting) {
            return lines.stream().filter(l -> l.startsWith(status + " ") && l.substring(6).startsWith(setting + ":"))
                    .findFirst().orElseThrow(() -> new AssertionError("no '" + status + "' line for " + setting + " in\n" + this));
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + stdout + "--- stderr (tail)\n"
                    + stderr.substring(Math.max(0, stderr.length() - 4000));
        }
    }

    @Test
    void barrierSettingsSlotsGpuAmountsAndAnUnwritableCheckpointFailNamingWhatToChange(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "not a folder");
        String checkpoint = file.toUri() + "/ckpt";
        Run r = doctor(Map.of("spark.dynamicAllocation.enabled", "true", "spark.executor.resource.gpu.amount", "2"), Map.of(),
                "--for", "train", "--master", "local[2]", "--world-size", "4", "--checkpoint-dir", checkpoint);
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.line("fail", "spark.dynamicAllocation.enabled").contains("set spark.dynamicAllocation.enabled=false"), r.toString());
        String slots = r.line("fail", "train.world_size");
        assertTrue(slots.contains("needs 4 task slots") && slots.contains("offers 2"), slots);
        assertTrue(r.line("fail", "train.world_size").contains("local[2]"), slots);
        assertTrue(r.line("fail", "train.checkpoint_dir").contains("cannot write to " + checkpoint), r.toString());
        assertTrue(r.line("fail", "spark.task.resource.gpu.amount").contains("executors have 2 GPU(s)"), r.toString());
        assertEquals(4, r.summary().path("fail").asInt(), r.summary().toString());
        assertEquals(List.of("spark.dynamicAllocation.enabled", "train.world_size", "spark.task.resource.gpu.amount",
                "train.checkpoint_dir"), failed(r.summary()));
        assertEquals("train", r.summary().path("doctor").asText());
    }

    @Test
    void aGoodSetupPassesEveryCheckAndLeavesNoProbeBehind(@TempDir Path dir) throws Exception {
        String bucket = s3.createBucket("doctor-good");
        Map<String, String> props = new java.util.HashMap<>();
        s3.hadoopConf().forEach((k, v) -> props.put("spark.hadoop." + k, v));
        Path ckpt = dir.resolve("not-yet/ckpt");
        Run r = doctor(props, Map.of(), "--for", "pipeline", "--master", "local[2]", "--world-size", "2",
                "--checkpoint-dir", ckpt.toUri().toString(), "--registry", bucket + "/registry");
        assertEquals(0, r.code(), r.toString());
        assertEquals(0, r.summary().path("fail").asInt(), r.toString());
        assertEquals(0, r.summary().path("warn").asInt(), r.toString());
        assertTrue(r.line("pass", "spark.dynamicAllocation.enabled").endsWith("false"), r.toString());
        assertTrue(r.line("pass", "train.world_size").contains("2 ranks fit the 2 concurrent task slots"), r.toString());
        assertTrue(r.line("pass", "libtorch").contains("PyTorch 2.7.1"), r.toString());
        assertTrue(r.line("pass", "fs.s3a.access.key/fs.s3a.secret.key").contains(bucket + "/registry"), r.toString());
        assertTrue(r.line("pass", "--registry").contains("is writable"), r.toString());
        assertTrue(r.line("pass", "train.checkpoint_dir").contains("is writable"), r.toString());
        assertFalse(Files.exists(ckpt), "the probe's folder was removed again");
        assertTrue(Files.isDirectory(dir.resolve("not-yet")) || !Files.exists(dir.resolve("not-yet")));
        assertEquals(0, s3.blobStore().list("doctor-good").size(), "no probe object left in the bucket");
    }

    @Test
    void sharedAccessModeAndAnS3LocationWithoutCredentialsFailNamingTheKeys() throws Exception {
        String bucket = s3.createBucket("doctor-nokeys");
        Map<String, String> props = new java.util.HashMap<>();
        s3.hadoopConf().forEach((k, v) -> {
            if (!k.endsWith(".key") && !k.endsWith("credentials.provider")) props.put("spark.hadoop." + k, v);
        });
        // Databricks tags standard (shared) access mode clusters so; their user code has no SparkContext.
        props.put("spark.databricks.clusterUsageTags.dataSecurityMode", "USER_ISOLATION");
        Run r = doctor(props, Map.of(), "--for", "generate", "--master", "local[1]", "--registry", bucket + "/registry");
        assertEquals(2, r.code(), r.toString());
        String line = r.line("fail", "fs.s3a.access.key/fs.s3a.secret.key");
        assertTrue(line.contains("no credentials for " + bucket + "/registry (--registry)") && line.contains("AWS_ACCESS_KEY_ID")
                && line.contains("fs.s3a.aws.credentials.provider"), line);
        assertTrue(r.line("fail", "spark.databricks.clusterUsageTags.dataSecurityMode").contains("is USER_ISOLATION"), r.toString());
        assertEquals(List.of("spark.databricks.clusterUsageTags.dataSecurityMode", "fs.s3a.access.key/fs.s3a.secret.key"),
                failed(r.summary()));
    }

    /** Spark Connect asked for: no session is made and the checks that need none still run. */
    @Test
    void sparkConnectAndALibtorchThatCannotLoadAreNamed(@TempDir Path dir) throws Exception {
        Path lib = Files.createDirectories(dir.resolve("libtorch/lib"));
        Files.writeString(lib.resolve("libtorch.so"), "not an ELF file");
        Files.writeString(lib.resolve("libtorch_cpu.so"), "not an ELF file");
        Run r = doctor(Map.of("spark.remote", "sc://127.0.0.1:15002"),
                Map.of("PYTORCH_LIBRARY_PATH", lib.toString(), "PYTORCH_VERSION", "2.7.1", "PYTORCH_FLAVOR", "cpu"),
                "--for", "train", "--checkpoint-dir", dir.resolve("ckpt").toUri().toString());
        assertEquals(2, r.code(), r.toString());
        String connect = r.line("fail", "spark.remote");
        assertTrue(connect.contains("no SparkContext") && connect.contains("SINGLE_USER"), connect);
        assertFalse(r.lines().stream().anyMatch(l -> l.contains("spark.dynamicAllocation.enabled")), "no Spark checks without a SparkContext");
        assertTrue(r.line("fail", "PYTORCH_LIBRARY_PATH").contains("cannot load libtorch offline (PYTORCH_LIBRARY_PATH is " + lib), r.toString());
        assertTrue(r.line("pass", "train.checkpoint_dir").contains("is writable"), r.toString());
    }

    private static List<String> failed(JsonNode summary) {
        List<String> f = new ArrayList<>();
        summary.path("failed").forEach(x -> f.add(x.asText()));
        return f;
    }

    /** {@code zerospark doctor ARGS} in a new JVM with {@code -D} Spark settings and extra environment variables. */
    static Run doctor(Map<String, String> sparkProps, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens") || arg.startsWith("--add-modules") || arg.startsWith("-XX:+IgnoreUnrecognized")
                    || arg.startsWith("-Djdk.reflect") || arg.startsWith("-Dio.netty")) {
                cmd.add(arg);
            }
        }
        cmd.addAll(List.of("-Xmx1g", "-Dai.djl.offline=true", "-Dspark.ui.enabled=false"));
        sparkProps.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.zerospark.cli.ZeroSpark", "doctor"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("PYTORCH_") || k.equals("SPARK_REMOTE"));
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().putAll(env);
        Path err = Files.createTempFile("zs-doctor", ".err");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "doctor did not finish");
        String stderr = Files.readString(err);
        Files.delete(err);
        List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
        assertFalse(lines.isEmpty(), "no output: " + stderr);
        JsonNode summary = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        return new Run(p.exitValue(), lines, summary, out, stderr);
    }
}
