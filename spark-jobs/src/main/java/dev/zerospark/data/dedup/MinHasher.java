package dev.zerospark.data.dedup;

import dev.zerospark.data.clean.Whitespace;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Content hashes and MinHash signatures. The exact-duplicate key is SHA-256 of the lower-cased text with
 * whitespace collapsed. The MinHash runs over word k-shingles (words: maximal runs of letters and digits,
 * lower-cased): each shingle gets one 64-bit hash, and hash function i is murmur3's 32-bit finalizer applied to
 * that hash xor a per-function seed, so that the share of equal entries of two signatures estimates their
 * Jaccard similarity.
 */
public final class MinHasher implements Serializable {
    /** SIMD inner loop ({@link VectorMinHash}) when the JVM has jdk.incubator.vector; same bits either way. */
    static final boolean VECTOR = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && !Boolean.getBoolean("zerospark.minhash.scalar");

    private final int shingleSize;
    private final int[] seeds;

    public MinHasher(int shingleSize, int numHashes) {
        if (shingleSize < 1 || numHashes < 1) throw new IllegalArgumentException("shingle size and hash count must be positive");
        this.shingleSize = shingleSize;
        this.seeds = new int[numHashes];
        long s = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < numHashes; i++) seeds[i] = (int) (mix(s += 0x9E3779B97F4A7C15L) >>> 32);
    }

    /** Lower case, whitespace runs as one space, stripped: the form the content hash is taken of. */
    public static String normalize(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        return Whitespace.collapse(lower, 0, lower.length(), false).strip();
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
        long[] words = wordHashes(text);
        int[] sig = new int[seeds.length];
        Arrays.fill(sig, Integer.MAX_VALUE);
        if (words.length == 0) return sig;
        int shingles = Math.max(1, words.length - shingleSize + 1);
        for (int s = 0; s < shingles; s++) {
            long h = 0xCBF29CE484222325L;
            for (int w = s; w < Math.min(words.length, s + shingleSize); w++) h = mix(h ^ words[w]);
            int x = (int) (h ^ (h >>> 32));
            if (VECTOR) VectorMinHash.update(x, seeds, sig);
            else scalarUpdate(x, seeds, sig, 0);
        }
        return sig;
    }

    /** sig[i] = min(sig[i], fmix32(x ^ seeds[i])) for i &ge; from: murmur3's finalizer as hash function i. */
    static void scalarUpdate(int x, int[] seeds, int[] sig, int from) {
        for (int i = from; i < sig.length; i++) {
            int v = x ^ seeds[i];
            v ^= v >>> 16;
            v *= 0x85EBCA6B;
            v ^= v >>> 13;
            v *= 0xC2B2AE35;
            v ^= v >>> 16;
            sig[i] = Math.min(sig[i], v);
        }
    }

    /** FNV-1a of each word (maximal run of letters and digits, lower-cased), in order. */
    static long[] wordHashes(String text) {
        long[] out = new long[16];
        int n = 0;
        long h = 0;
        boolean inWord = false;
        for (int i = 0; i < text.length(); ) {
            int cp = text.charAt(i);
            boolean wordChar;
            if (cp < 0x80) { // ASCII without the Unicode tables
                int lower = cp | 0x20;
                wordChar = (lower >= 'a' && lower <= 'z') || (cp >= '0' && cp <= '9');
                if (wordChar && cp <= 'Z') cp = lower;
                i++;
            } else {
                cp = text.codePointAt(i);
                i += Character.charCount(cp);
                wordChar = Character.isLetterOrDigit(cp);
                cp = Character.toLowerCase(cp);
            }
            if (wordChar) {
                if (!inWord) {
                    h = 0xCBF29CE484222325L;
                    inWord = true;
                }
                h = (h ^ cp) * 0x100000001B3L;
            } else if (inWord) {
                if (n == out.length) out = Arrays.copyOf(out, n * 2);
                out[n++] = h;
                inWord = false;
            }
        }
        if (inWord) {
            if (n == out.length) out = Arrays.copyOf(out, n + 1);
            out[n++] = h;
        }
        return Arrays.copyOf(out, n);
    }

    /** SplitMix64's finalizer: a cheap, well-mixed 64-bit permutation. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
