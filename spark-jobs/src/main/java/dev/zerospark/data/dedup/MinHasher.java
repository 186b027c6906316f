package dev.zerospark.data.dedup;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Content hashes and MinHash signatures. The exact-duplicate key is SHA-256 of the lower-cased text with
 * whitespace collapsed; the MinHash runs over word k-shingles of the same normal form, one independent 64-bit
 * mix per hash function, so that the share of equal entries of two signatures estimates their Jaccard similarity.
 */
public final class MinHasher implements Serializable {
    private final int shingleSize;
    private final int numHashes;
    private final long[] seeds;

    public MinHasher(int shingleSize, int numHashes) {
        this.shingleSize = shingleSize;
        this.numHashes = numHashes;
        this.seeds = new long[numHashes];
        long s = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < numHashes; i++) seeds[i] = mix(s += 0x9E3779B97F4A7C15L);
    }

    public static String normalize(String text) {
        return text.toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").strip();
    }

    public static String sha256(String s) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM lacks SHA-256", e);
        }
    }

    public static String contentHash(String text) {
        return sha256(normalize(text));
    }

    public int[] signature(String text) {
        String[] words = normalize(text).split("[^\\p{L}\\p{N}]+");
        words = Arrays.stream(words).filter(w -> !w.isEmpty()).toArray(String[]::new);
        int[] sig = new int[numHashes];
        Arrays.fill(sig, Integer.MAX_VALUE);
        int shingles = Math.max(1, words.length - shingleSize + 1);
        for (int s = 0; s < shingles; s++) {
            long h = 0xCBF29CE484222325L; // FNV-1a over the shingle's words
            for (int w = s; w < Math.min(words.length, s + shingleSize); w++) {
                String word = words[w];
                for (int c = 0; c < word.length(); c++) h = (h ^ word.charAt(c)) * 0x100000001B3L;
                h = (h ^ ' ') * 0x100000001B3L;
            }
            for (int i = 0; i < numHashes; i++) {
                int v = (int) (mix(h ^ seeds[i]) >>> 33);
                if (v < sig[i]) sig[i] = v;
            }
        }
        return sig;
    }

    /** SplitMix64's finalizer: a cheap, well-mixed 64-bit permutation. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
