package dev.zerospark.data.dedup;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MinHasherTest {
    @Test
    void simdLoopGivesTheScalarLoopsBits() {
        assertTrue(MinHasher.VECTOR, "the test JVM runs with jdk.incubator.vector, so the SIMD path is the one under test");
        Random rnd = new Random(7);
        int[] seeds = new int[128 + 5]; // not a multiple of any lane count: the scalar tail runs too
        for (int i = 0; i < seeds.length; i++) seeds[i] = rnd.nextInt();
        int[] simd = new int[seeds.length];
        int[] scalar = new int[seeds.length];
        java.util.Arrays.fill(simd, Integer.MAX_VALUE);
        java.util.Arrays.fill(scalar, Integer.MAX_VALUE);
        for (int k = 0; k < 1000; k++) {
            int x = rnd.nextInt();
            VectorMinHash.update(x, seeds, simd);
            MinHasher.scalarUpdate(x, seeds, scalar, 0);
        }
        assertArrayEquals(scalar, simd);
    }

    @Test
    void agreementEstimatesShingleJaccard() {
        Random rnd = new Random(3);
        List<String> words = new ArrayList<>();
        for (int i = 0; i < 400; i++) words.add("w" + rnd.nextInt(100_000));
        List<String> edited = new ArrayList<>(words);
        for (int i = 0; i < 20; i++) edited.set(rnd.nextInt(edited.size()), "x" + i); // ~20 edits out of 400 words
        MinHasher h = new MinHasher(5, 256);
        int[] a = h.signature(String.join(" ", words));
        int[] b = h.signature("  " + String.join("\n", edited).toUpperCase() + " ");
        int agree = 0;
        for (int i = 0; i < a.length; i++) if (a[i] == b[i]) agree++;
        double estimate = agree / (double) a.length;
        double truth = jaccard(shingles(words), shingles(edited));
        assertTrue(Math.abs(estimate - truth) < 0.1, "estimate " + estimate + " vs Jaccard " + truth);
        assertEquals(MinHasher.contentHash("A  b\tc"), MinHasher.contentHash("a b c"), "content hash ignores case and whitespace runs");
    }

    private static Set<String> shingles(List<String> w) {
        Set<String> s = new HashSet<>();
        for (int i = 0; i + 5 <= w.size(); i++) s.add(String.join(" ", w.subList(i, i + 5)));
        return s;
    }

    private static double jaccard(Set<String> a, Set<String> b) {
        Set<String> i = new HashSet<>(a);
        i.retainAll(b);
        Set<String> u = new HashSet<>(a);
        u.addAll(b);
        return i.size() / (double) u.size();
    }
}
