package dev.zerospark.data.dedup;

import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.ingest.Reasons;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The classification of {@link Dedup}, on the driver over plain key records: exactly the same rules, with no Spark
 * job per step. Below a few hundred thousand records the distributed plan is mostly scheduling latency (about
 * thirty small jobs); this is a hash map per LSH band. A document is a distinct content hash; its order is the
 * earliest order key among its records, and table articles count as earliest ({@code ""}).
 */
public final class LocalDedup {
    /**
     * The share of the driver's max heap that driver dedup may fill: the rest is Spark's driver itself (the
     * collect's serialized result blocks, listener state, the semi-join that fetches signatures) and the caller's.
     */
    static final double HEAP_FRACTION = 0.5;

    private LocalDedup() {}

    /**
     * Refuses, before the job reads anything, a {@code dedup.local_max_records} whose keys would not fit in
     * {@link #HEAP_FRACTION} of {@code maxHeap} ({@link Runtime#maxMemory()} on the driver), at
     * {@link #bytesPerRecord} each: past that the driver path would fail with an OutOfMemoryError hours into a run.
     */
    public static void checkDriverHeap(PrepareConfig.Dedup cfg, long maxHeap) {
        long per = bytesPerRecord(cfg.bands());
        if ((double) cfg.localMaxRecords() * per > maxHeap * HEAP_FRACTION) {
            throw DriverHeapException.localMaxRecords(cfg.localMaxRecords(), per, maxHeap, HEAP_FRACTION);
        }
    }

    /**
     * Driver heap per record at the driver path's peak (compressed oops, compact strings), with {@code bands} LSH
     * band keys a record. While {@link Dedup#onDriver} collects, each record is at once a decoded UnsafeRow (fixed
     * part, content hash, order key, file name, band keys) and a Row of Java objects (its Object[], a boxed offset,
     * the band keys as a Seq of boxed Longs, and Strings for the 64-hex content hash and the ~100-character order
     * key, which the {@link Doc} keeps too); then {@link #classify} adds per document a first-order map entry, an id
     * map entry, three list slots and up to four 12-byte slots of the band table. Candidate pairs and verdicts grow
     * with the duplicates, not the records, and are left to the heap fraction's slack.
     */
    static long bytesPerRecord(int bands) {
        long unsafeRow = 16 + 8 + 5 * 8 + 64 + 104 + 64 + 16 + 8L * bands;
        long row = 24 + 40 + 16 + (16 + 16 + 4L * bands + 16L * bands);
        long strings = (24 + 16 + 64) + (24 + 16 + 104);
        long doc = 40 + 16 + 8L * bands;
        long classify = 48 + 64 + 3 * 8 + 4 * 12;
        return unsafeRow + row + strings + doc + classify;
    }

    /** A clean record of this run. */
    public record Doc(String file, long offset, String hash, String order, long[] lsh) {}

    /** An article already in the table. */
    public record Stored(String file, long offset, String hash, long[] lsh) {}

    /** A record that is not new, with its status ({@code present}, {@code duplicate} or {@code near_duplicate}). */
    public record Verdict(String file, long offset, String status) {}

    /**
     * @param maxBucket  LSH buckets with more members are compared linearly ({@link #candidatePairs})
     * @param fallbacks  where the documents compared that way are counted, under {@link Reasons#LSH_BUCKET_CAPPED}
     * @param signatures given the content hashes of the documents in candidate pairs, their MinHash signatures
     *                   (only these few are fetched)
     */
    public static List<Verdict> classify(List<Doc> run, List<Stored> table, boolean near, double threshold, int numHashes,
                                         int maxBucket, Map<String, Long> fallbacks, Function<Set<String>, Map<String, int[]>> signatures) {
        Map<String, String> firstOrder = new HashMap<>();
        for (Doc d : run) firstOrder.merge(d.hash, d.order, (a, b) -> utf8Compare(a, b) <= 0 ? a : b);
        Map<String, List<Stored>> stored = new HashMap<>();
        for (Stored s : table) stored.computeIfAbsent(s.hash, h -> new ArrayList<>(1)).add(s);

        List<Verdict> out = new ArrayList<>();
        Set<Doc> exact = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>()); // these very records
        for (Doc d : run) {
            String status = d.order.equals(firstOrder.get(d.hash)) ? null : "duplicate";
            for (Stored s : stored.getOrDefault(d.hash, List.of())) {
                String st = s.file.equals(d.file) && s.offset == d.offset ? "present" : "duplicate";
                if (status == null || st.compareTo(status) > 0) status = st; // present wins, as in Dedup
            }
            if (status != null) {
                out.add(new Verdict(d.file, d.offset, status));
                exact.add(d);
            }
        }
        if (!near) return out;

        Set<String> later = nearDuplicateHashes(run, table, firstOrder, threshold, numHashes, maxBucket, fallbacks, signatures);
        for (Doc d : run) {
            if (later.contains(d.hash) && !exact.contains(d)) out.add(new Verdict(d.file, d.offset, "near_duplicate"));
        }
        return out;
    }

    /** Content hashes of this run's documents that resemble an earlier document (of the run or the table). */
    private static Set<String> nearDuplicateHashes(List<Doc> run, List<Stored> table, Map<String, String> firstOrder, double threshold,
                                                   int numHashes, int maxBucket, Map<String, Long> fallbacks,
                                                   Function<Set<String>, Map<String, int[]>> signatures) {
        // Distinct documents: table articles first (order ""), then the run's new contents.
        Map<String, Integer> id = new HashMap<>();
        List<String> hashes = new ArrayList<>();
        List<String> orders = new ArrayList<>();
        List<long[]> bands = new ArrayList<>();
        for (Stored s : table) {
            if (id.putIfAbsent(s.hash, hashes.size()) == null) {
                hashes.add(s.hash);
                orders.add("");
                bands.add(s.lsh);
            }
        }
        for (Doc d : run) {
            if (id.putIfAbsent(d.hash, hashes.size()) == null) {
                hashes.add(d.hash);
                orders.add(firstOrder.get(d.hash));
                bands.add(d.lsh);
            }
        }
        Candidates candidates = candidatePairs(bands, orders, hashes, maxBucket);
        if (candidates.cappedDocs() > 0) fallbacks.merge(Reasons.LSH_BUCKET_CAPPED, (long) candidates.cappedDocs(), Long::sum);
        Set<Long> pairs = candidates.pairs();
        if (pairs.isEmpty()) return Set.of();

        Set<String> wanted = new LinkedHashSet<>();
        for (long p : pairs) {
            wanted.add(hashes.get((int) (p >>> 32)));
            wanted.add(hashes.get((int) p));
        }
        Map<String, int[]> sig = signatures.apply(wanted);
        Set<String> later = new HashSet<>();
        for (long p : pairs) {
            int a = (int) (p >>> 32);
            int b = (int) p;
            int[] sa = sig.get(hashes.get(a));
            int[] sb = sig.get(hashes.get(b));
            if (sa == null || sb == null) {
                throw new IllegalStateException("no MinHash signature for content hash " + (sa == null ? hashes.get(a) : hashes.get(b)));
            }
            if (agreement(sa, sb, numHashes) < threshold) continue;
            int keep = utf8Compare(orders.get(a), orders.get(b)) < 0 ? a : b;
            int drop = keep == a ? b : a;
            if (!orders.get(drop).isEmpty()) later.add(hashes.get(drop)); // both in the table: nothing to drop
        }
        return later;
    }

    /**
     * Candidate pairs (lower id in the high half) and how many documents were in an oversized bucket, where the
     * capped comparison ran instead of all pairs.
     */
    record Candidates(Set<Long> pairs, int cappedDocs) {}

    /**
     * Pairs of documents sharing at least one LSH band key. A bucket (the documents sharing one key) of at most
     * {@code maxBucket} members gives all its pairs; a larger one, where all pairs would be quadratic (tens of
     * thousands of pages that differ by a token share most of their keys), gives linearly many: each member with
     * the bucket's earliest member ({@code orders}, then {@code hashes}), and each with its neighbour in band-key
     * order, where documents that share most keys sort next to each other.
     */
    static Candidates candidatePairs(List<long[]> bands, List<String> orders, List<String> hashes, int maxBucket) {
        // One band at a time through a primitive open-addressing table (12 bytes a slot, reused): almost every
        // key has one document, and only the shared ones get a list of their members.
        int docs = bands.size();
        int numBands = 0;
        for (long[] b : bands) numBands = Math.max(numBands, b.length);
        int cap = Integer.highestOneBit(Math.max(2, docs) * 2 - 1) << 1;
        long[] keys = new long[cap];
        int[] first = new int[cap]; // doc + 1; 0 = empty slot
        Set<Long> pairs = new HashSet<>();
        BitSet capped = new BitSet();
        for (int band = 0; band < numBands; band++) {
            Arrays.fill(first, 0);
            Map<Long, Members> shared = new HashMap<>();
            for (int doc = 0; doc < docs; doc++) {
                long[] lsh = bands.get(doc);
                if (band >= lsh.length) continue;
                long key = lsh[band];
                int slot = (int) (mix(key) & (cap - 1));
                while (first[slot] != 0 && keys[slot] != key) slot = (slot + 1) & (cap - 1);
                if (first[slot] == 0) {
                    keys[slot] = key;
                    first[slot] = doc + 1;
                    continue;
                }
                int firstDoc = first[slot] - 1;
                shared.computeIfAbsent(key, k -> new Members(firstDoc)).add(doc);
            }
            for (Members m : shared.values()) {
                if (m.n <= maxBucket) {
                    for (int i = 0; i < m.n; i++) for (int j = i + 1; j < m.n; j++) pairs.add(pair(m.docs[i], m.docs[j]));
                } else {
                    for (int i = 0; i < m.n; i++) capped.set(m.docs[i]);
                    cappedPairs(m, bands, orders, hashes, pairs);
                }
            }
        }
        return new Candidates(pairs, capped.cardinality());
    }

    /** The linear comparison of an oversized bucket: see {@link #candidatePairs}. */
    private static void cappedPairs(Members m, List<long[]> bands, List<String> orders, List<String> hashes, Set<Long> pairs) {
        Comparator<Integer> byOrder = (x, y) -> {
            int c = utf8Compare(orders.get(x), orders.get(y));
            return c != 0 ? c : hashes.get(x).compareTo(hashes.get(y));
        };
        Integer[] sorted = new Integer[m.n];
        for (int i = 0; i < m.n; i++) sorted[i] = m.docs[i];
        int earliest = Collections.min(Arrays.asList(sorted), byOrder);
        for (int d : sorted) if (d != earliest) pairs.add(pair(earliest, d));
        Arrays.sort(sorted, (x, y) -> {
            int c = Arrays.compare(bands.get(x), bands.get(y));
            return c != 0 ? c : hashes.get(x).compareTo(hashes.get(y));
        });
        for (int i = 1; i < sorted.length; i++) pairs.add(pair(sorted[i - 1], sorted[i]));
    }

    private static long pair(int a, int b) {
        return a < b ? ((long) a << 32) | b : ((long) b << 32) | a;
    }

    /** The documents of one shared band key, in increasing order. */
    private static final class Members {
        int[] docs = new int[4];
        int n;

        Members(int doc) {
            docs[n++] = doc;
        }

        void add(int doc) {
            if (n == docs.length) docs = Arrays.copyOf(docs, n * 2);
            docs[n++] = doc;
        }
    }

    private static long mix(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        return k ^ (k >>> 33);
    }

    /**
     * Spark's string order: by UTF-8 bytes, which is code point order. {@link String#compareTo} compares UTF-16
     * units and differs when a supplementary character meets one in U+E000..U+FFFF.
     */
    static int utf8Compare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int x = a.codePointAt(i);
            int y = b.codePointAt(j);
            if (x != y) return Integer.compare(x, y);
            i += Character.charCount(x);
            j += Character.charCount(y);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    static double agreement(int[] a, int[] b, int numHashes) {
        int same = 0;
        for (int i = 0; i < a.length && i < b.length; i++) if (a[i] == b[i]) same++;
        return (double) same / numHashes;
    }
}
