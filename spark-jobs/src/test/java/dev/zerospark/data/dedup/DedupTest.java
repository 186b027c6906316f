package dev.zerospark.data.dedup;

import dev.zerospark.data.clean.CleanStage;
import dev.zerospark.data.ingest.Reasons;
import dev.zerospark.testing.LocalSpark;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The driver path and the Spark-job path classify the same records the same way. */
class DedupTest {
    private static final StructType KEYS = new StructType()
            .add("source_file", DataTypes.StringType).add("source_offset", DataTypes.LongType)
            .add("content_hash", DataTypes.StringType).add("order_key", DataTypes.StringType)
            .add("minhash", DataTypes.createArrayType(DataTypes.IntegerType, false))
            .add("lsh", DataTypes.createArrayType(DataTypes.LongType, false));
    private static final MinHasher HASHER = new MinHasher(5, 128);

    private static String words(Random rnd, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : " ").append("w").append(rnd.nextInt(50_000));
        return sb.toString();
    }

    /** The same text with its last {@code k} of 200 words replaced: Jaccard about (196 - k) / (204 + k). */
    private static String edit(String text, int k) {
        String[] w = text.split(" ");
        for (int i = w.length - k; i < w.length; i++) w[i] = "edit" + i;
        return String.join(" ", w);
    }

    private static Row row(String file, long offset, String published, String text) {
        int[] sig = HASHER.signature(text);
        return RowFactory.create(file, offset, MinHasher.contentHash(text), published + "\u0001" + file + "\u0001" + String.format("%020d", offset),
                sig, CleanStage.bandKeys(sig, 16, 8));
    }

    @Test
    void driverAndSparkJobsGiveTheSameVerdicts() {
        SparkSession spark = LocalSpark.session();
        Random rnd = new Random(11);
        List<String> base = new ArrayList<>();
        for (int i = 0; i < 40; i++) base.add(words(rnd, 200));

        List<Row> table = List.of(row("old.jsonl", 0, "2020", base.get(0)), row("old.jsonl", 100, "2020", base.get(1)),
                row("old.jsonl", 200, "2020", base.get(2)));
        List<Row> run = new ArrayList<>();
        for (int i = 0; i < 40; i++) run.add(row("a.jsonl", i * 1000L, "2024-01-" + (10 + i % 10), base.get(i)));
        run.add(row("b.jsonl", 0, "2024-02-01", base.get(5)));            // exact copy of a run record, later
        run.add(row("b.jsonl", 10, "2023-01-01", base.get(6)));           // exact copy, earlier: the a.jsonl one drops
        run.add(row("b.jsonl", 20, "2024-02-01", base.get(1)));           // copy of a table article elsewhere
        run.add(row("b.jsonl", 30, "2024-02-01", edit(base.get(7), 2)));  // near a run record
        run.add(row("b.jsonl", 40, "2024-02-01", edit(base.get(2), 2)));  // near a table article
        run.add(row("b.jsonl", 50, "2024-02-02", edit(base.get(7), 3)));  // a third member of the 7 group
        run.add(row("b.jsonl", 60, "2024-02-01", edit(base.get(8), 60))); // too different: new
        run.add(row("b.jsonl", 70, "2024-02-03", edit(base.get(9), 2)));  // near, and copied exactly below
        run.add(row("b.jsonl", 80, "2024-02-04", edit(base.get(9), 2)));
        // The table's own record again (same lineage): present. The a.jsonl copy of base 0 is then a duplicate.
        run.add(row("old.jsonl", 0, "2020", base.get(0)));

        Dataset<Row> good = spark.createDataFrame(run, KEYS);
        Dataset<Row> existing = spark.createDataFrame(table, KEYS);
        Map<String, String> local = verdicts(Dedup.onDriver(good, existing, true, 0.8, 128, 256));
        Map<String, String> jobs = verdicts(Dedup.distributed(good, existing, 0.8, true, 128, 256));
        assertEquals(jobs, local);

        Map<String, String> expected = new TreeMap<>();
        expected.put("a.jsonl:0", "duplicate");          // bases 0-2 are table articles from another file
        expected.put("a.jsonl:1000", "duplicate");
        expected.put("a.jsonl:2000", "duplicate");
        expected.put("b.jsonl:0", "duplicate");
        expected.put("a.jsonl:6000", "duplicate");
        expected.put("b.jsonl:20", "duplicate");
        expected.put("b.jsonl:30", "near_duplicate");
        expected.put("b.jsonl:40", "near_duplicate");
        expected.put("b.jsonl:50", "near_duplicate");
        expected.put("b.jsonl:70", "near_duplicate");
        expected.put("b.jsonl:80", "duplicate");
        expected.put("old.jsonl:0", "present");
        assertEquals(expected, local);

        // Without a table, and without near-dup detection.
        assertEquals(verdicts(Dedup.distributed(good, null, 0.8, true, 128, 256)), verdicts(Dedup.onDriver(good, null, true, 0.8, 128, 256)));
        assertEquals(verdicts(Dedup.distributed(good, existing, 0.8, false, 128, 256)), verdicts(Dedup.onDriver(good, existing, false, 0.8, 128, 256)));

        // Buckets capped at 2 members: the 7 group (three members, in all bands) and the 9 copies take the linear
        // comparison in both paths, which still finds the same near duplicates, and both count the same documents.
        Dedup.Outcome cappedLocal = Dedup.onDriver(good, existing, true, 0.8, 128, 2);
        Dedup.Outcome cappedJobs = Dedup.distributed(good, existing, 0.8, true, 128, 2);
        assertEquals(cappedJobs.fallbacks(), cappedLocal.fallbacks());
        assertTrue(cappedLocal.fallbacks().getOrDefault(Reasons.LSH_BUCKET_CAPPED, 0L) >= 3, cappedLocal.fallbacks().toString());
        assertEquals(verdicts(cappedJobs), verdicts(cappedLocal));
        assertEquals(expected, verdicts(Dedup.onDriver(good, existing, true, 0.8, 128, 2)));
        assertEquals(Map.of(), Dedup.onDriver(good, existing, true, 0.8, 128, 256).fallbacks());
    }

    /**
     * Every side of the distributed path's joins grows with the number of duplicates, so none may be forced into a
     * broadcast: a hint overrides autoBroadcastJoinThreshold and would ship a table of millions of keys to every
     * executor. The analyzed plan keeps every hint the code gave (the optimizer drops them only later).
     */
    @Test
    void theDistributedPathLetsSparkChooseItsJoins() {
        SparkSession spark = LocalSpark.session();
        Random rnd = new Random(3);
        List<Row> run = new ArrayList<>();
        String text = words(rnd, 200);
        run.add(row("a.jsonl", 0, "2024-01-01", text));
        run.add(row("a.jsonl", 10, "2024-01-02", text));
        run.add(row("a.jsonl", 20, "2024-01-03", edit(text, 2)));
        run.add(row("a.jsonl", 30, "2024-01-03", words(rnd, 200)));
        Dataset<Row> good = spark.createDataFrame(run, KEYS);
        Dataset<Row> existing = spark.createDataFrame(List.of(row("old.jsonl", 0, "2020", words(rnd, 200))), KEYS);
        Dedup.Outcome outcome = Dedup.distributed(good, existing, 0.8, true, 128, 256);
        String plan = outcome.notNew().queryExecution().analyzed().toString();
        outcome.notNew().unpersist();
        assertTrue(plan.contains("Join"), plan);
        assertTrue(!plan.contains("strategy=broadcast"), "a forced broadcast in the distributed dedup plan:\n" + plan);
        assertEquals(Map.of("a.jsonl:10", "duplicate", "a.jsonl:20", "near_duplicate"),
                verdicts(Dedup.distributed(good, existing, 0.8, true, 128, 256)));
    }

    private static Map<String, String> verdicts(Dedup.Outcome outcome) {
        Dataset<Row> ds = outcome.notNew();
        Map<String, String> out = new TreeMap<>();
        for (Row r : ds.collectAsList()) out.put(r.getString(0) + ":" + r.getLong(1), r.getString(2));
        ds.unpersist();
        return out;
    }
}
