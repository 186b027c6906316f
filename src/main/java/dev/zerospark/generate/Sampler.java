package dev.zerospark.generate;

import java.util.Random;

/**
 * Picks the next token from one row of logits: argmax, or temperature -> top-k -> top-p sampling (HF's order). One
 * sampler per row, with the row's own seed, so a row's draws do not depend on the rows it is batched with.
 * Everything runs on primitive arrays: top-k keeps the tokens scoring at least the k-th largest score (ties kept,
 * like HF's {@code scores < topk(scores)[-1]}), found with a size-k heap; top-p sorts only those candidates.
 */
public final class Sampler {
    private final GenerationOptions options;
    private final Random random;

    /** A sampler seeded with {@code options.seed()}. */
    public Sampler(GenerationOptions options) {
        this(options, options.seed());
    }

    /** A sampler for one row, seeded with that row's seed (see {@link BatchGenerator#rowSeed}). */
    public Sampler(GenerationOptions options, long seed) {
        this.options = options;
        this.random = new Random(seed);
    }

    /** Next token from {@code logits[offset, offset + vocab)}. */
    public int next(float[] logits, int offset, int vocab) {
        if (options.isGreedy()) {
            return argmax(logits, offset, vocab);
        }
        double temperature = options.temperature();
        int k = options.topK() > 0 && options.topK() < vocab ? options.topK() : 0;
        double kth = k > 0 ? kthLargest(logits, offset, vocab, k, temperature) : Double.NEGATIVE_INFINITY;
        // candidates in vocabulary order, so sums run in the same order as over the full row (zeros add nothing)
        int[] ids = new int[vocab];
        double[] p = new double[vocab];
        int n = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            double s = logits[offset + i] / temperature;
            if (k == 0 || s >= kth) {
                ids[n] = i;
                p[n++] = s;
                max = Math.max(max, s);
            }
        }
        double z = 0;
        for (int j = 0; j < n; j++) {
            p[j] = Math.exp(p[j] - max);
            z += p[j];
        }
        for (int j = 0; j < n; j++) {
            p[j] /= z;
        }
        if (options.topP() < 1) {
            nucleus(p, n, options.topP());
        }
        double u = random.nextDouble();
        double total = 0;
        for (int j = 0; j < n; j++) {
            total += p[j];
        }
        double acc = 0;
        int last = 0;
        for (int j = 0; j < n; j++) {
            if (p[j] > 0) {
                acc += p[j] / total;
                last = ids[j];
                if (u < acc) {
                    return ids[j];
                }
            }
        }
        return last;
    }

    /** The k-th largest of logits / temperature, with a min-heap of the k largest seen so far. */
    private static double kthLargest(float[] logits, int offset, int vocab, int k, double temperature) {
        double[] heap = new double[k];
        for (int i = 0; i < k; i++) {
            heap[i] = logits[offset + i] / temperature;
        }
        for (int i = k / 2 - 1; i >= 0; i--) {
            siftDown(heap, i, k);
        }
        for (int i = k; i < vocab; i++) {
            double s = logits[offset + i] / temperature;
            if (s > heap[0]) {
                heap[0] = s;
                siftDown(heap, 0, k);
            }
        }
        return heap[0];
    }

    private static void siftDown(double[] heap, int i, int size) {
        while (true) {
            int smallest = i;
            int l = 2 * i + 1;
            int r = l + 1;
            if (l < size && heap[l] < heap[smallest]) smallest = l;
            if (r < size && heap[r] < heap[smallest]) smallest = r;
            if (smallest == i) return;
            double t = heap[i];
            heap[i] = heap[smallest];
            heap[smallest] = t;
            i = smallest;
        }
    }

    /** Zeroes every token outside the smallest most-likely set whose mass reaches {@code topP} (keeps >= 1). */
    static void nucleus(double[] p, double topP) {
        nucleus(p, p.length, topP);
    }

    /**
     * {@link #nucleus(double[], double)} over {@code p[0, n)}. Ties rank by position, as a stable sort of the
     * indices by descending probability would; zero entries are never kept, so only positive ones are sorted.
     */
    static void nucleus(double[] p, int n, double topP) {
        int[] order = new int[n];
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (p[i] > 0) {
                order[m++] = i;
            }
        }
        sortDescending(order, m, p, new int[m]);
        double cum = 0;
        int keep = 0;
        while (keep < m && cum < topP) {
            cum += p[order[keep]];
            keep++;
        }
        for (int i = Math.max(keep, 1); i < m; i++) {
            p[order[i]] = 0;
        }
    }

    /** Stable merge sort of {@code idx[0, n)} by descending {@code key[idx]}: on ties, indices keep their order. */
    private static void sortDescending(int[] idx, int n, double[] key, int[] tmp) {
        for (int width = 1; width < n; width *= 2) {
            for (int lo = 0; lo < n - width; lo += 2 * width) {
                int mid = lo + width;
                int hi = Math.min(lo + 2 * width, n);
                int a = lo;
                int b = mid;
                int o = lo;
                while (a < mid && b < hi) {
                    tmp[o++] = key[idx[b]] > key[idx[a]] ? idx[b++] : idx[a++];
                }
                while (a < mid) tmp[o++] = idx[a++];
                while (b < hi) tmp[o++] = idx[b++];
                System.arraycopy(tmp, lo, idx, lo, hi - lo);
            }
        }
    }

    /** Index of the largest value; the first one on ties, like torch.argmax. */
    public static int argmax(float[] logits, int offset, int vocab) {
        int best = 0;
        float bestVal = logits[offset];
        for (int i = 1; i < vocab; i++) {
            if (logits[offset + i] > bestVal) {
                bestVal = logits[offset + i];
                best = i;
            }
        }
        return best;
    }
}
