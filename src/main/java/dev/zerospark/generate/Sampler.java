package dev.zerospark.generate;

import java.util.Arrays;
import java.util.Random;

/** Picks the next token from one row of logits: argmax, or temperature -> top-k -> top-p sampling. */
public final class Sampler {
    private final GenerationOptions options;
    private final Random random;

    public Sampler(GenerationOptions options) {
        this.options = options;
        this.random = new Random(options.seed());
    }

    /** Next token from {@code logits[offset, offset + vocab)}. */
    public int next(float[] logits, int offset, int vocab) {
        if (options.isGreedy()) {
            return argmax(logits, offset, vocab);
        }
        double[] scores = new double[vocab];
        for (int i = 0; i < vocab; i++) {
            scores[i] = logits[offset + i] / options.temperature();
        }
        if (options.topK() > 0 && options.topK() < vocab) {
            double[] sorted = scores.clone();
            Arrays.sort(sorted);
            double kth = sorted[vocab - options.topK()];
            for (int i = 0; i < vocab; i++) {
                if (scores[i] < kth) {
                    scores[i] = Double.NEGATIVE_INFINITY;
                }
            }
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double s : scores) {
            max = Math.max(max, s);
        }
        double[] p = new double[vocab];
        double z = 0;
        for (int i = 0; i < vocab; i++) {
            p[i] = Math.exp(scores[i] - max);
            z += p[i];
        }
        for (int i = 0; i < vocab; i++) {
            p[i] /= z;
        }
        if (options.topP() < 1) {
            nucleus(p, options.topP());
        }
        double u = random.nextDouble();
        double total = 0;
        for (double v : p) {
            total += v;
        }
        double acc = 0;
        int last = 0;
        for (int i = 0; i < vocab; i++) {
            if (p[i] > 0) {
                acc += p[i] / total;
                last = i;
                if (u < acc) {
                    return i;
                }
            }
        }
        return last;
    }

    /** Zeroes every token outside the smallest most-likely set whose mass reaches {@code topP} (keeps >= 1). */
    static void nucleus(double[] p, double topP) {
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < p.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        double cum = 0;
        int keep = 0;
        while (keep < order.length && cum < topP) {
            cum += p[order[keep]];
            keep++;
        }
        for (int i = Math.max(keep, 1); i < order.length; i++) {
            p[order[i]] = 0;
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
