package dev.zerospark.data.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.data.generate.internal.PartitionGenerator;
import dev.zerospark.table.Generations;
import dev.zerospark.testing.LocalSpark;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs that need a JVM of their own: one killed with SIGKILL, one on a master that retries failed tasks. */
class GenerateProcessTest {
    private static final int ARTICLES = 24;

    private static ProcessBuilder child(String master, String input, String output, String mode, String... jvmProps) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens") || arg.startsWith("--add-modules") || arg.startsWith("-XX:+IgnoreUnrecognized")
                    || arg.startsWith("-Djdk.reflect") || arg.startsWith("-Dio.netty") || arg.startsWith("-Dai.djl")) {
                cmd.add(arg);
            }
        }
        cmd.addAll(List.of(jvmProps));
        cmd.addAll(List.of("-Xmx2g", "-cp", System.getProperty("java.class.path"), GenerateChild.class.getName(),
                master, GenerateFixtures.MODEL, input, output, "2", "4", mode));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        return pb;
    }

    private static void assertEveryKeyOnce(Dataset<Row> out, int expected) {
        Column[] key = Generations.CONTRACT.key().stream().map(functions::col).toArray(Column[]::new);
        assertEquals(expected, out.count());
        assertEquals(0, out.groupBy(key).count().where("count > 1").count(), "duplicate keys");
        assertEquals(expected, out.select(Generations.ARTICLE_ID).distinct().count());
    }

    @Test
    void aRunKilledAfterItsFirstCommitKeepsItAndTheRerunFinishesTheRest(@TempDir Path dir) throws Exception {
        SparkSession spark = LocalSpark.session();
        String input = dir.resolve("articles").toString();
        String output = dir.resolve("riddles").toString();
        GenerateFixtures.writeArticles(spark, input, GenerateFixtures.articles(ARTICLES));
        Process p = child("local[2]", input, output, "block").start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null && !line.startsWith(GenerateChild.COMMITTED)) lines.add(line);
            assertTrue(line != null, "the child ended before its first commit:\n" + String.join("\n", lines));
            // The commit is in the Delta log before the child says so; kill it there, SIGKILL, no shutdown hooks.
            assertTrue(Files.isRegularFile(Path.of(output, "_delta_log", "00000000000000000000.json")), line);
            p.destroyForcibly();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        }
        assertEquals(137, p.exitValue(), "killed by SIGKILL");
        long kept = spark.read().format("delta").load(output).count();
        assertTrue(kept > 0 && kept < ARTICLES, "first chunk kept: " + kept);

        GenerateSummary rerun = GenerateJob.run(spark, GenerateFixtures.options(GenerateFixtures.MODEL, input, output, 2, 4));
        assertEquals(kept, rerun.alreadyDone());
        assertEquals(ARTICLES - kept, rerun.generated());
        assertEveryKeyOnce(spark.read().format("delta").load(output), ARTICLES);
    }

    @Test
    void aRetriedTaskAddsNoDuplicateKey(@TempDir Path dir) throws Exception {
        SparkSession spark = LocalSpark.session();
        String input = dir.resolve("articles").toString();
        String output = dir.resolve("riddles").toString();
        GenerateFixtures.writeArticles(spark, input, GenerateFixtures.articles(ARTICLES));
        // local[2,3]: up to 3 attempts per task; partition 0 of every chunk fails its first attempt.
        Process p = child("local[2,3]", input, output, "finish", "-D" + PartitionGenerator.FAIL_FIRST_ATTEMPT + "=0").start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), log);
        assertTrue(log.contains("injected failure of partition 0, attempt 0"), "no task failed:\n" + log);
        String summary = log.strip().substring(log.strip().lastIndexOf('\n') + 1);
        assertTrue(summary.contains("\"generated\":" + ARTICLES), summary);
        assertEveryKeyOnce(spark.read().format("delta").load(output), ARTICLES);
    }
}
