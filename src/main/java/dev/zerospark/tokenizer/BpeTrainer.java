package dev.zerospark.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * The driver-side half of byte-level BPE training: given counts of byte-level pre-tokens ("words", computed
 * anywhere, e.g. by a Spark job) it learns merges greedily, most frequent adjacent pair first. Pair counts are
 * updated incrementally, touching only the words that contain the merged pair, so the cost per merge is
 * proportional to the words it changes rather than the whole corpus. Ties break on the lower token ids, which
 * makes the result deterministic for a given set of counts.
 */
public final class BpeTrainer {
    private final int vocabSize;
    private final int minFrequency;
    private final List<String> specialTokens;

    public BpeTrainer(int vocabSize, int minFrequency, List<String> specialTokens) {
        this.vocabSize = vocabSize;
        this.minFrequency = minFrequency;
        this.specialTokens = List.copyOf(specialTokens);
    }

    public BpeModel train(Map<String, Long> wordCounts) {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        List<String> tokens = new ArrayList<>();
        for (String s : specialTokens) add(vocab, tokens, s);
        for (String s : ByteLevel.alphabet()) add(vocab, tokens, s);
        if (vocabSize < vocab.size()) {
            throw new IllegalArgumentException("vocab_size " + vocabSize + " is below the " + vocab.size()
                    + " special and byte tokens every byte-level BPE needs");
        }

        // Words as symbol-id arrays, in a fixed order so that the result does not depend on map iteration.
        List<String> keys = new ArrayList<>(wordCounts.keySet());
        java.util.Collections.sort(keys);
        int n = keys.size();
        int[][] words = new int[n][];
        long[] counts = new long[n];
        for (int w = 0; w < n; w++) {
            String word = keys.get(w);
            words[w] = new int[word.length()];
            for (int i = 0; i < word.length(); i++) words[w][i] = vocab.get(String.valueOf(word.charAt(i)));
            counts[w] = wordCounts.get(word);
        }

        Map<Long, Long> pairCounts = new HashMap<>();
        Map<Long, Set<Integer>> where = new HashMap<>();
        for (int w = 0; w < n; w++) addPairs(words[w], counts[w], w, pairCounts, where);

        // Max-heap on (count desc, pair asc); stale entries are skipped when popped.
        PriorityQueue<long[]> heap = new PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(b[0], a[0]) : Long.compare(a[1], b[1]));
        pairCounts.forEach((p, c) -> heap.add(new long[] {c, p}));

        List<String[]> merges = new ArrayList<>();
        while (tokens.size() < vocabSize && !heap.isEmpty()) {
            long[] top = heap.poll();
            long pair = top[1];
            long current = pairCounts.getOrDefault(pair, 0L);
            if (current != top[0]) continue; // stale
            if (current < minFrequency) break;
            int a = (int) (pair >>> 32);
            int b = (int) pair;
            String merged = tokens.get(a) + tokens.get(b);
            merges.add(new String[] {tokens.get(a), tokens.get(b)});
            int newId;
            if (vocab.containsKey(merged)) {
                newId = vocab.get(merged); // two merge paths to the same string: reuse the token
            } else {
                newId = tokens.size();
                add(vocab, tokens, merged);
            }

            Set<Long> touched = new HashSet<>();
            for (int w : where.remove(pair)) {
                int[] old = words[w];
                if (!contains(old, a, b)) continue; // stale index entry
                removePairs(old, counts[w], pairCounts, touched);
                words[w] = merge(old, a, b, newId);
                addPairs(words[w], counts[w], w, pairCounts, where);
                collectPairs(words[w], touched);
            }
            pairCounts.remove(pair);
            for (long p : touched) {
                Long c = pairCounts.get(p);
                if (c != null && c > 0 && p != pair) heap.add(new long[] {c, p});
            }
        }
        return new BpeModel(vocab, merges, specialTokens);
    }

    private static void add(Map<String, Integer> vocab, List<String> tokens, String t) {
        if (vocab.putIfAbsent(t, tokens.size()) == null) tokens.add(t);
    }

    private static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    private static boolean contains(int[] w, int a, int b) {
        for (int i = 0; i + 1 < w.length; i++) if (w[i] == a && w[i + 1] == b) return true;
        return false;
    }

    private static int[] merge(int[] w, int a, int b, int id) {
        int[] out = new int[w.length];
        int k = 0;
        for (int i = 0; i < w.length; i++) {
            if (i + 1 < w.length && w[i] == a && w[i + 1] == b) {
                out[k++] = id;
                i++;
            } else {
                out[k++] = w[i];
            }
        }
        return java.util.Arrays.copyOf(out, k);
    }

    private static void addPairs(int[] w, long count, int index, Map<Long, Long> pairCounts, Map<Long, Set<Integer>> where) {
        for (int i = 0; i + 1 < w.length; i++) {
            long p = key(w[i], w[i + 1]);
            pairCounts.merge(p, count, Long::sum);
            where.computeIfAbsent(p, k -> new HashSet<>()).add(index);
        }
    }

    private static void removePairs(int[] w, long count, Map<Long, Long> pairCounts, Set<Long> touched) {
        for (int i = 0; i + 1 < w.length; i++) {
            long p = key(w[i], w[i + 1]);
            pairCounts.merge(p, -count, Long::sum);
            touched.add(p);
        }
    }

    private static void collectPairs(int[] w, Set<Long> touched) {
        for (int i = 0; i + 1 < w.length; i++) touched.add(key(w[i], w[i + 1]));
    }
}
