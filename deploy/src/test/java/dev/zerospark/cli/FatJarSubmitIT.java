package dev.zerospark.cli;

import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fat jar, as a cluster gets it: submitted through org.apache.spark.deploy.SparkSubmit (the class behind
 * spark-submit) with --master local[2], on a classpath holding only what a cluster provides (Spark, Hadoop).
 */
class FatJarSubmitIT {

    @Test
    void prepareRunsThroughSparkSubmit(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("in.jsonl");
        Files.writeString(input, String.join("\n",
                "{\"id\":\"a1\",\"title\":\"Harbour reopens\",\"body\":\"The city harbour reopened on Monday after a week of repairs to the main pier, officials said, and the first ferries arrived before noon.\"}",
                "{\"id\":\"a2\",\"title\":\"Library extends hours\",\"body\":\"The central library will stay open until nine in the evening from next month, the council announced after a public consultation on services.\"}",
                "{\"id\":\"a3\",\"title\":\"broken\",\"body\": ",
                ""), StandardCharsets.UTF_8);
        Path out = dir.resolve("tables");
        String fatJar = SparkSubmitCommand.fatJar();
        assertTrue(Files.isRegularFile(Paths.get(fatJar)), "fat jar missing: " + fatJar);

        List<String> cmd = SparkSubmitCommand.base("2g");
        cmd.addAll(List.of("--master", "local[2]",
                "--conf", "spark.driver.host=127.0.0.1",
                "--conf", "spark.driver.bindAddress=127.0.0.1",
                "--conf", "spark.ui.enabled=false",
                "--conf", "spark.driver.extraJavaOptions=-Dai.djl.offline=true",
                "--class", "dev.zerospark.cli.ZeroSpark",
                fatJar,
                "prepare", "--input", input.toString(), "--format", "jsonl",
                "--tokenizer", TestPaths.fixture("tokenizer-bytelevel-bpe-1024").toString(),
                "--output", out.toString(), "--seq-len", "32"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false);
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.redirectError(dir.resolve("stderr.txt").toFile());
        Process p = pb.start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "spark-submit did not finish");
        String stderr = Files.readString(dir.resolve("stderr.txt"));
        assertEquals(0, p.exitValue(), "spark-submit failed:\n" + stdout + "\n" + tail(stderr));

        String[] lines = stdout.strip().split("\n");
        String last = lines[lines.length - 1];
        com.fasterxml.jackson.databind.JsonNode counts = new com.fasterxml.jackson.databind.ObjectMapper().readTree(last);
        assertEquals(3, counts.path("input").asLong(), last);
        assertEquals(1, counts.path("quarantined").asLong(), last);
        assertEquals(2, counts.path("clean").asLong(), last);
        assertTrue(Files.isDirectory(out.resolve("articles/_delta_log")), "articles table missing");
        assertTrue(Files.isDirectory(out.resolve("lm_blocks/_delta_log")), "lm_blocks table missing");
    }

    private static String tail(String s) {
        return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
    }
}
