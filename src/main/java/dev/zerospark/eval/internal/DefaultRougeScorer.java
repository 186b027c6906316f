package dev.zerospark.eval.internal;

import dev.zerospark.eval.RougeScorer;
import dev.zerospark.eval.RougeScores;
import dev.zerospark.eval.Score;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * rouge-score's {@code rouge_scorer.py} for rouge1, rouge2, rougeL and rougeLsum. Tokens are mapped to small ints per
 * pair so n-gram counting and the LCS tables compare ints instead of strings.
 */
public final class DefaultRougeScorer implements RougeScorer {
    private final RougeTokenizer tokenizer;

    public DefaultRougeScorer(boolean useStemmer) {
        this.tokenizer = new RougeTokenizer(useStemmer ? new PorterStemmer() : null);
    }

    @Override
    public RougeScores score(String reference, String prediction) {
        Map<String, Integer> ids = new HashMap<>();
        int[][] refLines = ids(tokenizer.tokenizeLines(reference), ids);
        int[][] predLines = ids(tokenizer.tokenizeLines(prediction), ids);
        // '\n' is a separator for the tokenizer, so the whole text's tokens are its lines' tokens in order.
        int[] ref = concat(refLines);
        int[] pred = concat(predLines);
        return new RougeScores(ngrams(ref, pred, 1), ngrams(ref, pred, 2), lcs(ref, pred),
                summaryLcs(refLines, predLines, ids.size()));
    }

    private static int[][] ids(List<List<String>> lines, Map<String, Integer> ids) {
        int[][] out = new int[lines.size()][];
        for (int i = 0; i < out.length; i++) {
            List<String> line = lines.get(i);
            out[i] = new int[line.size()];
            for (int j = 0; j < out[i].length; j++) out[i][j] = ids.computeIfAbsent(line.get(j), k -> ids.size());
        }
        return out;
    }

    private static int[] concat(int[][] lines) {
        int n = 0;
        for (int[] l : lines) n += l.length;
        int[] out = new int[n];
        int at = 0;
        for (int[] l : lines) {
            System.arraycopy(l, 0, out, at, l.length);
            at += l.length;
        }
        return out;
    }

    /** {@code _score_ngrams}: clipped overlap of n-gram counts, each count divided by max(count, 1). */
    static Score ngrams(int[] ref, int[] pred, int n) {
        Map<Long, int[]> refCounts = ngramCounts(ref, n);
        Map<Long, int[]> predCounts = ngramCounts(pred, n);
        long hits = 0;
        for (Map.Entry<Long, int[]> e : refCounts.entrySet()) {
            int[] c = predCounts.get(e.getKey());
            if (c != null) hits += Math.min(e.getValue()[0], c[0]);
        }
        int refTotal = Math.max(ref.length - n + 1, 0);
        int predTotal = Math.max(pred.length - n + 1, 0);
        return Score.of((double) hits / Math.max(predTotal, 1), (double) hits / Math.max(refTotal, 1));
    }

    /** n-gram counts for n of 1 or 2, keyed by the token ids packed into a long. */
    private static Map<Long, int[]> ngramCounts(int[] tokens, int n) {
        if (n < 1 || n > 2) throw new IllegalArgumentException("n-grams of 1 or 2 tokens are supported, got " + n);
        Map<Long, int[]> counts = new HashMap<>();
        for (int i = 0; i + n <= tokens.length; i++) {
            long key = n == 1 ? tokens[i] : ((long) tokens[i] << 32) | tokens[i + 1];
            counts.computeIfAbsent(key, k -> new int[1])[0]++;
        }
        return counts;
    }

    /** {@code _score_lcs}: LCS length over each text's token count; 0 when either text has no tokens. */
    static Score lcs(int[] ref, int[] pred) {
        if (ref.length == 0 || pred.length == 0) return Score.ZERO;
        int length = lcsTable(ref, pred)[ref.length][pred.length];
        return Score.of((double) length / pred.length, (double) length / ref.length);
    }

    /**
     * {@code _summary_level_lcs}: for each reference sentence, the union of its LCS positions against every
     * prediction sentence; a union token is a hit while both texts still have an unused occurrence of it, so a token
     * is not counted more often than it occurs.
     */
    static Score summaryLcs(int[][] refLines, int[][] predLines, int vocab) {
        if (refLines.length == 0 || predLines.length == 0) return Score.ZERO;
        int[] refCounts = new int[vocab];
        int[] predCounts = new int[vocab];
        int m = count(refLines, refCounts);
        int n = count(predLines, predCounts);
        if (m == 0 || n == 0) return Score.ZERO;
        long hits = 0;
        for (int[] r : refLines) {
            BitSet union = new BitSet(r.length);
            for (int[] c : predLines) {
                for (int i : lcsIndices(r, c)) union.set(i);
            }
            for (int i = union.nextSetBit(0); i >= 0; i = union.nextSetBit(i + 1)) {
                int t = r[i];
                if (predCounts[t] > 0 && refCounts[t] > 0) {
                    hits++;
                    predCounts[t]--;
                    refCounts[t]--;
                }
            }
        }
        return Score.of((double) hits / n, (double) hits / m);
    }

    private static int count(int[][] lines, int[] counts) {
        int total = 0;
        for (int[] l : lines) {
            for (int t : l) counts[t]++;
            total += l.length;
        }
        return total;
    }

    /** {@code _lcs_table}: t[i][j] is the LCS length of ref[0..i) and can[0..j). */
    private static int[][] lcsTable(int[] ref, int[] can) {
        int[][] t = new int[ref.length + 1][can.length + 1];
        for (int i = 1; i <= ref.length; i++) {
            for (int j = 1; j <= can.length; j++) {
                t[i][j] = ref[i - 1] == can[j - 1] ? t[i - 1][j - 1] + 1 : Math.max(t[i - 1][j], t[i][j - 1]);
            }
        }
        return t;
    }

    /**
     * {@code lcs_ind} with {@code _backtrack_norec}: the reference positions of one LCS. Which LCS is picked matters
     * for the union, so ties go up (i - 1) exactly as rouge-score's backtrack does.
     */
    private static List<Integer> lcsIndices(int[] ref, int[] can) {
        List<Integer> out = new ArrayList<>();
        if (ref.length == 0 || can.length == 0) return out;
        int[][] t = lcsTable(ref, can);
        int i = ref.length;
        int j = can.length;
        while (i > 0 && j > 0) {
            if (ref[i - 1] == can[j - 1]) {
                out.add(i - 1);
                i--;
                j--;
            } else if (t[i][j - 1] > t[i - 1][j]) {
                j--;
            } else {
                i--;
            }
        }
        return out;
    }
}
