package dev.zerospark.data.dedup;

import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.PrepareJob;
import dev.zerospark.data.clean.CleanStage;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.data.ingest.Reasons;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalDedupTest {
    private static long pair(int a, int b) {
        return ((long) a << 32) | b;
    }

    @Test
    void candidatePairsAreEveryPairSharingABandKey() {
        // Docs 0, 2 and 3 share key 7 in band 0; 1 and 3 share key 9 in band 1; doc 4 repeats doc 1's band-0 key
        // in band 1 only, which is a different band and so no candidate.
        List<long[]> bands = List.of(new long[] {7, 1}, new long[] {5, 9}, new long[] {7, 2}, new long[] {7, 9}, new long[] {6, 5});
        assertEquals(Set.of(pair(0, 2), pair(0, 3), pair(2, 3), pair(1, 3)), pairs(bands, 256));
        assertEquals(Set.of(), pairs(List.of(new long[] {1, 2}, new long[] {3, 4}), 256));
        assertEquals(Set.of(), pairs(List.of(), 256));
    }

    private static Set<Long> pairs(List<long[]> bands, int maxBucket) {
        List<String> orders = new ArrayList<>();
        List<String> hashes = new ArrayList<>();
        for (int i = 0; i < bands.size(); i++) {
            orders.add(String.format("%06d", i));
            hashes.add("h" + i);
        }
        return LocalDedup.candidatePairs(bands, orders, hashes, maxBucket).pairs();
    }

    @Test
    void ordersCompareAsSparkComparesStringsByUtf8Bytes() {
        String rocket = "2024\uD83D\uDE80"; // U+1F680: after U+E000 in code points, before it in UTF-16 units
        String privateUse = "2024\uE000";
        assertTrue(rocket.compareTo(privateUse) < 0);
        assertTrue(LocalDedup.utf8Compare(rocket, privateUse) > 0);
        assertTrue(LocalDedup.utf8Compare("a", "ab") < 0 && LocalDedup.utf8Compare("b", "ab") > 0);
        assertEquals(0, LocalDedup.utf8Compare(rocket, new String(rocket)));
    }

    @Test
    void laterOfASimilarPairIsTheNearDuplicateAndTableArticlesCountAsEarliest() {
        int[] s1 = new int[10];
        int[] s2 = new int[10];
        s2[9] = 1; // 9 of 10 hashes agree
        int[] s3 = new int[10];
        for (int i = 0; i < 10; i++) s3[i] = i < 5 ? 0 : 1; // half agree with s1
        List<LocalDedup.Doc> run = List.of(
                new LocalDedup.Doc("f", 0, "h1", "2", new long[] {1}),
                new LocalDedup.Doc("f", 1, "h2", "1", new long[] {1}),  // earlier than h1: h1 is the near duplicate
                new LocalDedup.Doc("f", 2, "h3", "0", new long[] {1}),  // shares the key but is not similar enough
                new LocalDedup.Doc("f", 3, "h4", "3", new long[] {2}));
        List<LocalDedup.Stored> table = List.of(new LocalDedup.Stored("t", 0, "h5", new long[] {2}));
        Map<String, int[]> sigs = Map.of("h1", s1, "h2", s2, "h3", s3, "h4", s1, "h5", s2);
        List<LocalDedup.Verdict> v = LocalDedup.classify(run, table, true, 0.8, 10, 256, new HashMap<>(), wanted -> {
            assertEquals(Set.of("h1", "h2", "h3", "h4", "h5"), wanted, "only candidate members are fetched");
            return sigs;
        });
        assertEquals(List.of(new LocalDedup.Verdict("f", 0, "near_duplicate"), new LocalDedup.Verdict("f", 3, "near_duplicate")), v);

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> LocalDedup.classify(run, table, true, 0.8, 10, 256, new HashMap<>(), wanted -> Map.of("h1", s1)));
        assertTrue(e.getMessage().contains("no MinHash signature for content hash"), e.getMessage());
    }

    @Test
    void anOversizedBucketGivesLinearlyManyPairsWithItsEarliestMemberAndBandKeyNeighbours() {
        // 30,000 documents that share every band key but one (their own): one bucket per band holds them all, and
        // all pairs would be 30,000^2 / 2 = 450 million.
        int docs = 30_000;
        List<long[]> bands = new ArrayList<>();
        List<String> orders = new ArrayList<>();
        List<String> hashes = new ArrayList<>();
        for (int d = 0; d < docs; d++) {
            long[] lsh = new long[16];
            for (int b = 0; b < 16; b++) lsh[b] = b;
            lsh[d % 16] = 1_000_000L + d;
            bands.add(lsh);
            orders.add(String.format("%06d", docs - d)); // the last document is the earliest
            hashes.add(String.format("h%06d", d));
        }
        LocalDedup.Candidates c = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> LocalDedup.candidatePairs(bands, orders, hashes, 256));
        assertEquals(docs, c.cappedDocs());
        assertTrue(c.pairs().size() <= 2L * docs * 16, c.pairs().size() + " pairs");
        for (int d = 0; d < docs - 1; d++) assertTrue(c.pairs().contains(pair(d, docs - 1)), "doc " + d + " is compared with the earliest");

        // A bucket within the cap still gives all its pairs, and counts nothing.
        LocalDedup.Candidates small = LocalDedup.candidatePairs(bands.subList(0, 10), orders.subList(0, 10), hashes.subList(0, 10), 256);
        assertEquals(0, small.cappedDocs());
        assertEquals(45, small.pairs().size());
    }

    @Test
    void tensOfThousandsOfPagesThatDifferByOneTokenAreNearDuplicatesOfTheEarliest() {
        MinHasher hasher = new MinHasher(5, 128);
        Random rnd = new Random(3);
        String[] words = new String[300];
        for (int i = 0; i < words.length; i++) words[i] = "w" + rnd.nextInt(100_000);
        int pages = 20_000;
        List<LocalDedup.Doc> run = new ArrayList<>();
        Map<String, int[]> sigs = new HashMap<>();
        for (int p = 0; p < pages; p++) {
            String[] w = words.clone();
            w[p % w.length] = "token" + p; // one token differs
            String text = String.join(" ", w);
            String hash = MinHasher.contentHash(text);
            int[] sig = hasher.signature(text);
            sigs.put(hash, sig);
            run.add(new LocalDedup.Doc("f", p, hash, String.format("2024-%06d", p), CleanStage.bandKeys(sig, 16, 8)));
        }
        Map<String, Long> fallbacks = new HashMap<>();
        List<LocalDedup.Verdict> v = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> LocalDedup.classify(run, List.of(), true, 0.8, 128, 256, fallbacks, wanted -> sigs));
        assertEquals(pages - 1, v.size(), "every page but the earliest is a near duplicate");
        assertTrue(v.stream().allMatch(x -> x.status().equals("near_duplicate") && x.offset() != 0));
        assertTrue(fallbacks.get(Reasons.LSH_BUCKET_CAPPED) >= pages - 1, "counted: " + fallbacks);
    }

    /**
     * A local_max_records the driver cannot hold is refused, naming the key, the value, the estimate and the heap;
     * and PrepareJob refuses it before it reads the input or the tokenizer (neither exists here).
     */
    @Test
    void aLocalMaxRecordsBeyondTheDriverHeapIsRefusedAtStart() {
        PrepareConfig.Dedup huge = new PrepareConfig.Dedup(null, null, null, null, null, 100_000_000);
        long heap = Runtime.getRuntime().maxMemory();
        DriverHeapException e = assertThrows(DriverHeapException.class, () -> LocalDedup.checkDriverHeap(huge, heap));
        long per = LocalDedup.bytesPerRecord(16);
        assertTrue(per > 1000 && per < 4000, "bytes a record with 16 bands: " + per);
        String m = e.getMessage();
        assertTrue(m.startsWith("dedup.local_max_records 100000000 needs about ") && m.contains("(" + per + " bytes a record)")
                && m.contains("the driver's max heap is ") && m.contains("spark.driver.memory"), m);
        // The boundary: what fits in half the heap passes, one record more is refused.
        int fits = (int) (LocalDedup.HEAP_FRACTION * 1_000_000_000L / per);
        LocalDedup.checkDriverHeap(new PrepareConfig.Dedup(null, null, null, null, null, fits), 1_000_000_000L);
        assertThrows(DriverHeapException.class, () -> LocalDedup.checkDriverHeap(new PrepareConfig.Dedup(null, null, null, null, null, fits + 1), 1_000_000_000L));
        LocalDedup.checkDriverHeap(new PrepareConfig.Dedup(null, null, null, null, null, 0), 1); // 0 = always Spark jobs
        LocalDedup.checkDriverHeap(PrepareConfig.Dedup.defaults(), heap); // the default fits this JVM
        LocalDedup.checkDriverHeap(PrepareConfig.Dedup.defaults(), 512L << 20); // and a 512 MB driver (Spark's default is 1 GB)

        PrepareConfig cfg = new PrepareConfig("/nonexistent/in/*.jsonl", "jsonl", "/nonexistent/tokenizer", "/nonexistent/out", null, null, null,
                huge, null, null, null, null);
        assertThrows(DriverHeapException.class, () -> PrepareJob.run(LocalSpark.session(), cfg));
    }
}
