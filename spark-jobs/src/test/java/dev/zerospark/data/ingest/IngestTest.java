package dev.zerospark.data.ingest;

import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.clean.CleanStage;
import dev.zerospark.testing.LocalSpark;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

    /** Spark's FilePartition rule, in input order: next split joins while bytes so far + its length fit; each costs its open too. */
    @Test
    void splitsArePackedInOrderUpToTheTargetCountingAnOpenCostPerFile() {
        List<InputSplit> tiny = new ArrayList<>();
        for (int i = 0; i < 2000; i++) tiny.add(new InputSplit(String.format("f%04d.txt", i), 0, 100, 100));
        List<List<InputSplit>> tasks = InputSplit.pack(tiny, 32L << 20, 4L << 20);
        assertEquals(250, tasks.size(), "8 tiny files a task at 32 MiB with Spark's default 4 MiB open cost");
        List<InputSplit> flat = tasks.stream().flatMap(List::stream).toList();
        assertEquals(tiny, flat, "every split once, in input order");
        assertEquals(1, InputSplit.pack(tiny, 32L << 20, 0).size(), "no open cost: 200 KB of files is one task");

        // A split as large as the target is a task of its own; small ones around it pack up to the target.
        List<InputSplit> mixed = List.of(new InputSplit("a", 0, 10, 10), new InputSplit("b", 0, 100, 200), new InputSplit("b", 100, 200, 200),
                new InputSplit("c", 0, 30, 30), new InputSplit("d", 0, 60, 60), new InputSplit("e", 0, 5, 5));
        assertEquals(List.of(List.of("a"), List.of("b"), List.of("b"), List.of("c", "d"), List.of("e")),
                InputSplit.pack(mixed, 100, 5).stream().map(t -> t.stream().map(InputSplit::path).toList()).toList());
        assertEquals(List.of(), InputSplit.pack(List.of(), 100, 5));
        assertThrows(IllegalArgumentException.class, () -> InputSplit.pack(tiny, 0, 5));
    }

    /**
     * An archive of one article per file: 2,000 tiny text files run as a handful of tasks, and every file is still
     * read exactly once, the quarantined ones (invalid UTF-8) included.
     */
    @Test
    void thousandsOfTinyFilesAreReadByAFewTasksEachRecordOnce(@TempDir Path dir) throws Exception {
        SparkSession spark = LocalSpark.session();
        Path in = Files.createDirectories(dir.resolve("in"));
        Set<String> invalid = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            String name = String.format("%02d/article-%05d.txt", i % 7, i);
            Files.createDirectories(in.resolve(name).getParent());
            byte[] body = ("Headline " + i + "\n\nThe council met on day " + i + " and voted on the budget for the harbour and the schools.")
                    .getBytes(StandardCharsets.UTF_8);
            if (i % 50 == 3) {
                body[body.length - 1] = (byte) 0xC3; // a truncated two-byte sequence
                invalid.add("article-" + String.format("%05d", i));
            }
            Files.write(in.resolve(name), body);
        }
        PrepareConfig cfg = PrepareConfig.defaults().with(in.toString(), "text", "unused", "unused", null);
        String key = "spark.sql.files.openCostInBytes";
        String before = spark.conf().get(key);
        spark.conf().set(key, 64L << 10); // files on a local disk open cheaply: ~500 of these a 32 MiB task
        try {
            List<InputSplit> splits = Ingest.splits(spark, cfg);
            assertEquals(2000, splits.size());
            List<List<InputSplit>> tasks = Ingest.tasks(spark, cfg, splits);
            assertTrue(tasks.size() >= 2 && tasks.size() <= 5, "planned tasks: " + tasks.size());
            var rows = CleanStage.read(spark, cfg, "run");
            assertEquals(tasks.size(), rows.rdd().getNumPartitions(), "one partition a packed task, not one a file");
            Map<String, Integer> seen = new HashMap<>();
            Set<String> quarantined = new HashSet<>();
            for (Row r : rows.select("source_file", "reason").collectAsList()) {
                String file = r.getString(0);
                seen.merge(file, 1, Integer::sum);
                if (Reasons.INVALID_UTF8.equals(r.getString(1))) quarantined.add(file.substring(file.lastIndexOf('/') + 1, file.length() - 4));
            }
            assertEquals(2000, seen.size(), "every file read");
            assertTrue(seen.values().stream().allMatch(n -> n == 1), "every file read once");
            assertEquals(invalid, quarantined, "the invalid ones are quarantined, and only those");
        } finally {
            spark.conf().set(key, before);
        }
    }
}
