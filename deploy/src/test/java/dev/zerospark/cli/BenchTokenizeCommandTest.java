package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench tokenize} on a 1 MB corpus: both job runs and both raw sides are reported, and the ratios are theirs (no timing asserted). */
class BenchTokenizeCommandTest {
    @Test
    void reportsColdAndWarmJobNextToBothRawBaselines(@TempDir Path dir) throws Exception {
        CliRun r = CliRun.of("bench", "tokenize", "--mb", "1", "--seq-len", "64", "--work-dir", dir.toString());
        assertEquals(0, r.code(), r.toString());
        for (String row : new String[] {"prepare job, warm JVM", "prepare job, cold JVM", "raw DJL batchEncode", "raw native batch, ids only"}) {
            assertTrue(r.out().contains(row), row + " in\n" + r.out());
        }
        String[] lines = r.out().strip().split("\n");
        JsonNode j = new ObjectMapper().readTree(lines[lines.length - 1]);
        assertTrue(j.get("docs").asLong() >= 1000 && j.get("tokens").asLong() > j.get("docs").asLong(), j.toString());
        assertTrue(j.get("raw_texts").asLong() > j.get("docs").asLong() / 2, "LM texts and SFT pieces: " + j);
        assertEquals(j.get("raw_seconds").asDouble() / j.get("job_seconds").asDouble(), j.get("ratio").asDouble(), 1e-9);
        assertEquals(j.get("raw_ids_seconds").asDouble() / j.get("job_seconds").asDouble(), j.get("ratio_ids").asDouble(), 1e-9);
        assertEquals(j.get("raw_seconds").asDouble() / j.get("job_cold_seconds").asDouble(), j.get("ratio_cold").asDouble(), 1e-9);
        assertEquals(j.get("raw_ids_seconds").asDouble() / j.get("job_cold_seconds").asDouble(), j.get("ratio_ids_cold").asDouble(), 1e-9);

        // The warm run started from empty tables: one run in stats, one copy of every article.
        SparkSession spark = SparkSessions.getOrCreate("bench-tokenize-test", "local[2]", Map.of());
        Path tables = dir.resolve("tables");
        assertEquals(1L, spark.read().format("delta").load(tables.resolve("stats").toString()).count());
        long articles = spark.read().format("delta").load(tables.resolve("articles").toString()).count();
        long tokens = spark.read().format("delta").load(tables.resolve("articles").toString()).agg(org.apache.spark.sql.functions.sum("n_tokens")).first().getLong(0);
        assertEquals(j.get("tokens").asLong(), tokens, "tokens reported = tokens of the articles written once");
        assertTrue(articles > 0 && articles <= j.get("docs").asLong());
    }
}
