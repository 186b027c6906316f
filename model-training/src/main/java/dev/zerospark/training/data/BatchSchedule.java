package dev.zerospark.training.data;

import java.util.SplittableRandom;

/**
 * Which rows every rank trains on at every step, computed identically on every rank from (rows, batch, seed),
 * so no coordination is needed and uneven data can't leave one rank waiting for another.
 *
 * <p>Each epoch is a fresh permutation of all rows seeded by {@code seed + epoch}; a step takes the next
 * {@code globalBatch} rows of it (the tail shorter than a batch is dropped, as DataLoader's drop_last). Rank
 * {@code r} of {@code N} takes the r-th equal slice of the global batch, and micro-batch {@code m} of it the
 * m-th {@code micro} rows of that slice.
 */
public final class BatchSchedule {
    private final int rows;
    private final int microBatch;
    private final int gradAccum;
    private final int worldSize;
    private final long seed;
    private final boolean shuffle;
    /**
     * The permutation of the epoch last asked for: a step's micro-batches all read the same epoch, so building it
     * once per epoch instead of once per micro-batch turns O(rows) work per micro-batch into O(rows) per epoch.
     */
    private long cachedEpoch = -1;
    private int[] cachedPermutation;
    private int permutationsBuilt;

    public BatchSchedule(int rows, int microBatch, int gradAccum, int worldSize, long seed, boolean shuffle) {
        if (microBatch < 1 || gradAccum < 1 || worldSize < 1) {
            throw new IllegalArgumentException("micro batch, accumulation and world size must be >= 1");
        }
        requireOneGlobalBatch(rows, microBatch, gradAccum, worldSize);
        this.rows = rows;
        this.microBatch = microBatch;
        this.gradAccum = gradAccum;
        this.worldSize = worldSize;
        this.seed = seed;
        this.shuffle = shuffle;
    }

    public int rows() {
        return rows;
    }

    public int microBatch() {
        return microBatch;
    }

    public int gradAccum() {
        return gradAccum;
    }

    public int worldSize() {
        return worldSize;
    }

    public long seed() {
        return seed;
    }

    public boolean shuffle() {
        return shuffle;
    }

    /** The driver checks this before launching ranks, which would otherwise each find it (and restart for it). */
    public static void requireOneGlobalBatch(int rows, int microBatch, int gradAccum, int worldSize) {
        int global = microBatch * gradAccum * worldSize;
        if (rows < global) {
            throw new IllegalArgumentException("the training table has " + rows + " rows, fewer than one global batch ("
                    + global + " = micro " + microBatch + " × accumulation " + gradAccum + " × world size " + worldSize + ")");
        }
    }

    public int globalBatch() {
        return microBatch * gradAccum * worldSize;
    }

    public int stepsPerEpoch() {
        return rows / globalBatch();
    }

    /** The position in the data after {@code step} optimizer steps: the cursor a checkpoint records. */
    public Cursor cursorAfter(long step) {
        return new Cursor(step / stepsPerEpoch(), (int) (step % stepsPerEpoch()) * globalBatch());
    }

    /** Row indices of micro-batch {@code micro} for {@code rank} at optimizer step {@code step} (0-based). */
    public int[] rows(long step, int rank, int micro) {
        if (rank < 0 || rank >= worldSize) throw new IllegalArgumentException("rank " + rank + " outside world of " + worldSize);
        if (micro < 0 || micro >= gradAccum) throw new IllegalArgumentException("micro-batch " + micro + " outside " + gradAccum);
        long epoch = step / stepsPerEpoch();
        int within = (int) (step % stepsPerEpoch());
        int[] perm = epochPermutation(epoch);
        int start = within * globalBatch() + rank * microBatch * gradAccum + micro * microBatch;
        int[] out = new int[microBatch];
        System.arraycopy(perm, start, out, 0, microBatch);
        return out;
    }

    /** The permutation of {@code epoch}, built only when the epoch changes. */
    private synchronized int[] epochPermutation(long epoch) {
        if (epoch != cachedEpoch) {
            cachedPermutation = permutation(epoch);
            cachedEpoch = epoch;
            permutationsBuilt++;
        }
        return cachedPermutation;
    }

    /** How many epoch permutations this schedule has built (tests check it is one per epoch visited). */
    synchronized int permutationsBuilt() {
        return permutationsBuilt;
    }

    /** Fisher–Yates over 0..rows-1 seeded by (seed, epoch); identity when shuffling is off (fixture replays). */
    int[] permutation(long epoch) {
        int[] p = new int[rows];
        for (int i = 0; i < rows; i++) p[i] = i;
        if (!shuffle) return p;
        SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + epoch);
        for (int i = rows - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Epoch and row offset within that epoch's permutation. */
    public record Cursor(long epoch, int position) {}
}
