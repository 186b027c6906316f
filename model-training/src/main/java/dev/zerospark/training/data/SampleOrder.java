package dev.zerospark.training.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The order of an epoch's training samples, computed alike on every rank from the row counts of the table's units
 * ((file, row group), {@link TableIndex}) and the seed alone, and the same whatever the world size.
 *
 * <p>Epoch {@code e} lays the units out in a permutation seeded by (seed, e): their rows form one stream, unit after
 * unit, each in file order. The stream is then shuffled within consecutive windows of {@code window} samples, each
 * window by its own seeded permutation: a bounded shuffle buffer that mixes rows of neighbouring units while a rank
 * needs only the few units under the current window. Both permutations are of positions, not rows, so no rank reads
 * data to know the order.
 *
 * <p>A sample's id is its row number in the table's canonical order (units in file, then row-group order), so a test
 * can check that an epoch visits every row once.
 */
public final class SampleOrder {
    private final long[] counts;
    private final long[] canonicalStart;
    private final long seed;
    private final int window;
    private final long total;
    /** The epoch whose unit layout is cached: positions of one step share it, so it is laid out once per epoch. */
    private long layoutEpoch = -1;
    private int[] unitOrder;
    private long[] streamStart;
    private long windowEpoch = -1;
    private long windowIndex = -1;
    private int[] windowPermutation;
    private int layoutsBuilt;

    /** Where sample {@code id} lives: row {@code row} of canonical unit {@code unit}; {@code stream} is its stream index. */
    public record Source(int unit, long row, long id, long stream) {}

    public SampleOrder(long[] unitRows, long seed, int window) {
        if (window < 1) throw new IllegalArgumentException("shuffle window must be >= 1, got " + window);
        this.counts = unitRows.clone();
        this.canonicalStart = new long[counts.length + 1];
        for (int u = 0; u < counts.length; u++) {
            if (counts[u] < 0) throw new IllegalArgumentException("unit " + u + " has " + counts[u] + " rows");
            canonicalStart[u + 1] = canonicalStart[u] + counts[u];
        }
        this.total = canonicalStart[counts.length];
        this.seed = seed;
        this.window = window;
    }

    /** The samples of an epoch: every live train row once. */
    public long total() {
        return total;
    }

    /** The sample at {@code position} (0-based) of {@code epoch}. */
    public synchronized Source at(long epoch, long position) {
        if (position < 0 || position >= total) {
            throw new IllegalArgumentException("position " + position + " outside an epoch of " + total + " samples");
        }
        layout(epoch);
        long w = position / window;
        long windowStart = w * window;
        long stream = windowStart + windowPermutation(epoch, w, (int) Math.min(window, total - windowStart))[(int) (position - windowStart)];
        int k = Arrays.binarySearch(streamStart, stream);
        if (k < 0) k = -k - 2; // the unit whose stream range holds it
        while (counts[unitOrder[k]] == 0) k++; // empty units share their start with the next one
        int unit = unitOrder[k];
        long row = stream - streamStart[k];
        return new Source(unit, row, canonicalStart[unit] + row, stream);
    }

    /** How many epoch layouts this order has built (tests check it is once per epoch, not per sample). */
    synchronized int layoutsBuilt() {
        return layoutsBuilt;
    }

    private void layout(long epoch) {
        if (epoch == layoutEpoch) return;
        int[] order = new int[counts.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        SplittableRandom rnd = new SplittableRandom(mix(seed, epoch, -1));
        for (int i = order.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        long[] starts = new long[order.length];
        for (int k = 1; k < order.length; k++) starts[k] = starts[k - 1] + counts[order[k - 1]];
        unitOrder = order;
        streamStart = starts;
        layoutEpoch = epoch;
        layoutsBuilt++;
    }

    private int[] windowPermutation(long epoch, long w, int length) {
        if (epoch != windowEpoch || w != windowIndex) {
            int[] p = new int[length];
            for (int i = 0; i < length; i++) p[i] = i;
            SplittableRandom rnd = new SplittableRandom(mix(seed, epoch, w));
            for (int i = length - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
            windowPermutation = p;
            windowEpoch = epoch;
            windowIndex = w;
        }
        return windowPermutation;
    }

    /** One well-spread seed per (run seed, epoch, window); window -1 is the epoch's unit layout. */
    private static long mix(long seed, long epoch, long w) {
        return new SplittableRandom(seed * 1_000_003L + epoch).split().nextLong() ^ (w * 0x9E3779B97F4A7C15L);
    }
}
