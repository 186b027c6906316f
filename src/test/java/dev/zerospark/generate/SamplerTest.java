package dev.zerospark.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SamplerTest {
    /**
     * The sampler as it was with boxed {@code Integer[V]} sorting: temperature, top-k by the k-th largest score (ties
     * kept), softmax over the whole row, top-p by a stable sort of all V indices, then one uniform draw.
     */
    private static int reference(float[] logits, int offset, int vocab, GenerationOptions o, Random random) {
        double[] scores = new double[vocab];
        for (int i = 0; i < vocab; i++) {
            scores[i] = logits[offset + i] / o.temperature();
        }
        if (o.topK() > 0 && o.topK() < vocab) {
            double[] sorted = scores.clone();
            Arrays.sort(sorted);
            double kth = sorted[vocab - o.topK()];
            for (int i = 0; i < vocab; i++) {
                if (scores[i] < kth) scores[i] = Double.NEGATIVE_INFINITY;
            }
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double s : scores) max = Math.max(max, s);
        double[] p = new double[vocab];
        double z = 0;
        for (int i = 0; i < vocab; i++) {
            p[i] = Math.exp(scores[i] - max);
            z += p[i];
        }
        for (int i = 0; i < vocab; i++) p[i] /= z;
        if (o.topP() < 1) {
            Integer[] order = new Integer[vocab];
            for (int i = 0; i < vocab; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
            double cum = 0;
            int keep = 0;
            while (keep < vocab && cum < o.topP()) cum += p[order[keep++]];
            for (int i = Math.max(keep, 1); i < vocab; i++) p[order[i]] = 0;
        }
        double u = random.nextDouble();
        double total = 0;
        for (double v : p) total += v;
        double acc = 0;
        int last = 0;
        for (int i = 0; i < vocab; i++) {
            if (p[i] > 0) {
                acc += p[i] / total;
                last = i;
                if (u < acc) return i;
            }
        }
        return last;
    }

    @Test
    void primitiveSamplerDrawsExactlyWhatTheBoxedOneDid() {
        int vocab = 300;
        int rows = 400;
        Random data = new Random(5);
        float[] logits = new float[rows * vocab];
        for (int i = 0; i < logits.length; i++) {
            // coarse values make many exact ties, at the top-k and top-p boundaries too
            logits[i] = Math.round(data.nextGaussian() * 8) / 4f;
        }
        double[][] settings = {{1.0, 0, 0.9}, {0.7, 50, 1.0}, {1.3, 40, 0.8}, {2.0, 1, 0.5}, {0.5, 299, 0.95},
            {1.0, 5, 0.3}, {1.0, 0, 1.0}};
        for (double[] s : settings) {
            GenerationOptions o = new GenerationOptions(8, s[0], (int) s[1], s[2], 3, List.of(), 0, List.of());
            Sampler sampler = new Sampler(o, 42);
            Random ref = new Random(42);
            int[] got = new int[rows];
            int[] want = new int[rows];
            for (int r = 0; r < rows; r++) {
                got[r] = sampler.next(logits, r * vocab, vocab);
                want[r] = reference(logits, r * vocab, vocab, o, ref);
            }
            assertArrayEquals(want, got, "temperature/top_k/top_p " + Arrays.toString(s));
        }
    }

    @Test
    void nucleusRanksTiesByPosition() {
        double[] p = {0.2, 0.3, 0.2, 0.3};
        Sampler.nucleus(p, 0.7); // 0.3 (1), 0.3 (3), then the first 0.2 (0) reaches 0.8
        assertArrayEquals(new double[] {0.2, 0.3, 0, 0.3}, p);
        double[] q = {0, 0.6, 0, 0.4};
        Sampler.nucleus(q, 0.5);
        assertArrayEquals(new double[] {0, 0.6, 0, 0}, q);
        assertEquals(1, new Sampler(GenerationOptions.greedy(1, List.of(), 0)).next(new float[] {1, 3, 3}, 0, 3));
    }
}
