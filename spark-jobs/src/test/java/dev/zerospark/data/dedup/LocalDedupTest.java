package dev.zerospark.data.dedup;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
        assertEquals(Set.of(pair(0, 2), pair(0, 3), pair(2, 3), pair(1, 3)), LocalDedup.candidatePairs(bands));
        assertEquals(Set.of(), LocalDedup.candidatePairs(List.of(new long[] {1, 2}, new long[] {3, 4})));
        assertEquals(Set.of(), LocalDedup.candidatePairs(List.of()));
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
        List<LocalDedup.Verdict> v = LocalDedup.classify(run, table, true, 0.8, 10, wanted -> {
            assertEquals(Set.of("h1", "h2", "h3", "h4", "h5"), wanted, "only candidate members are fetched");
            return sigs;
        });
        assertEquals(List.of(new LocalDedup.Verdict("f", 0, "near_duplicate"), new LocalDedup.Verdict("f", 3, "near_duplicate")), v);

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> LocalDedup.classify(run, table, true, 0.8, 10, wanted -> Map.of("h1", s1)));
        assertTrue(e.getMessage().contains("no MinHash signature for content hash"), e.getMessage());
    }
}
