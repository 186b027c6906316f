package dev.zerospark.data.ingest;

import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.clean.CleanStage;
import dev.zerospark.testing.LocalSpark;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IngestTest {
    private static List<String> names(SparkSession spark, String input, String format) {
        PrepareConfig cfg = PrepareConfig.defaults().with(input, format, "unused", "unused", null);
        return Ingest.splits(spark, cfg).stream().map(s -> s.path().substring(s.path().indexOf("/in/") + 4)).toList();
    }

    @Test
    void listsGlobsAndFoldersRecursivelySkippingHiddenFiles(@TempDir Path dir) throws Exception {
        SparkSession spark = LocalSpark.session();
        Path in = Files.createDirectories(dir.resolve("in"));
        Files.createDirectories(in.resolve("2024/_tmp"));
        Files.createDirectories(in.resolve(".staging"));
        for (String f : List.of("b.jsonl", "a.jsonl", "notes.txt", "2024/c.jsonl", "2024/_tmp/partial.jsonl", ".staging/x.jsonl", "_SUCCESS", ".a.jsonl.crc")) {
            Files.writeString(in.resolve(f), "{}\n");
        }
        assertEquals(List.of("2024/c.jsonl", "a.jsonl", "b.jsonl", "notes.txt"), names(spark, in.toString(), "jsonl"));
        assertEquals(List.of("a.jsonl", "b.jsonl"), names(spark, in + "/*.jsonl", "jsonl"));
        assertEquals(List.of("2024/c.jsonl", "a.jsonl", "b.jsonl", "notes.txt"), names(spark, in + "/*", "jsonl"),
                "a glob's hidden matches (_SUCCESS, .crc, .staging) are skipped too");
        assertEquals(List.of("notes.txt"), names(spark, in + "/*", "text"), "text keeps .txt files among a glob's matches");
        assertEquals(List.of("_SUCCESS"), names(spark, in + "/_SUCCESS", "jsonl"), "a file named outright is read");
        assertEquals(List.of("notes.txt"), names(spark, in.toUri().toString(), "text"), "text keeps .txt files");
        assertTrue(Ingest.splits(spark, PrepareConfig.defaults().with(in + "/a.jsonl", "jsonl", "t", "o", null)).get(0).path().startsWith("file:/"),
                "lineage paths are qualified URIs, as Spark's file sources give them");

        InputNotFoundException missing = assertThrows(InputNotFoundException.class, () -> names(spark, in + "/nope/*.jsonl", "jsonl"));
        assertTrue(missing.getMessage().contains(in + "/nope/*.jsonl"), missing.getMessage());
        Files.createDirectories(in.resolve("empty"));
        InputNotFoundException empty = assertThrows(InputNotFoundException.class, () -> names(spark, in.resolve("empty").toString(), "warc"));
        assertTrue(empty.getMessage().contains("holds no warc files"), empty.getMessage());
    }

    @Test
    void parquetBodiesHaveTheSameRecordByteCapAsTheOtherFormats(@TempDir Path dir) {
        SparkSession spark = LocalSpark.session();
        String pq = dir.resolve("pq").toString();
        // Two articles, one of 1.5 MB: within max_chars here, so only the record byte cap can stop it.
        spark.sql("SELECT CAST(id AS STRING) AS id, 'T' AS title, repeat('word ', CASE WHEN id = 1 THEN 300000 ELSE 40 END) AS body FROM range(2)")
                .coalesce(1).write().parquet(pq);
        PrepareConfig cfg = new PrepareConfig(pq, "parquet", "unused", "unused", null, null,
                new PrepareConfig.Clean(null, 5_000_000, 1_000_000, null, 1.0, null, null, null, null), null, null, null, null, null);
        Map<Long, Row> byRow = new HashMap<>(); // one file: the row index is the id
        for (Row r : CleanStage.read(spark, cfg, "run").collectAsList()) byRow.put(r.getAs("source_offset"), r);
        assertEquals(null, byRow.get(0L).<String>getAs("reason"), "the short article passes");
        Row big = byRow.get(1L);
        assertEquals(Reasons.TOO_LONG, big.<String>getAs("reason"));
        assertEquals("1500002 bytes of article fields > max_record_bytes 1000000", big.<String>getAs("detail"));
        assertTrue(big.<String>getAs("raw_prefix").startsWith("{\"id\":\"1\",\"title\":\"T\",\"body\":\"word word"), big.<String>getAs("raw_prefix"));
    }
}
