package dev.zerospark.data.ingest;

import dev.zerospark.config.PrepareConfig;
import dev.zerospark.testing.LocalSpark;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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
}
