package dev.zerospark.training.data;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Which samples each rank trains on at each step when ranks stream their rows ({@link SampleOrder}).
 *
 * <p>A step takes the next {@code globalBatch} positions of the epoch's order (a tail shorter than a batch is dropped,
 * as DataLoader's drop_last). The set of samples a step trains on depends only on the cursor, not on the world size:
 * it is sorted by stream index, so each rank's slice comes from as few units as possible, and rank {@code r} takes the
 * r-th equal slice, micro-batch {@code m} the m-th {@code microBatch} samples of it. A resume at another world size
 * (same global batch or not) continues from the recorded cursor: no sample is repeated or skipped within the epoch.
 */
public record StreamSchedule(long samples, int microBatch, int gradAccum, int worldSize) {

    /** Epoch and sample offset within that epoch's order: where the next step starts. */
    public record Position(long epoch, long sampleInEpoch) {}

    public StreamSchedule {
        if (microBatch < 1 || gradAccum < 1 || worldSize < 1) {
            throw new IllegalArgumentException("micro batch, accumulation and world size must be >= 1");
        }
        if (samples < globalBatch(microBatch, gradAccum, worldSize)) {
            throw new IllegalArgumentException("the training table has " + samples + " rows, fewer than one global batch ("
                    + globalBatch(microBatch, gradAccum, worldSize) + " = micro " + microBatch + " × accumulation "
                    + gradAccum + " × world size " + worldSize + ")");
        }
    }

    private static long globalBatch(int micro, int accum, int world) {
        return (long) micro * accum * world;
    }

    public int globalBatch() {
        return Math.toIntExact(globalBatch(microBatch, gradAccum, worldSize));
    }

    public long stepsPerEpoch() {
        return samples / globalBatch();
    }

    /** A position a step can start at: one too close to the epoch's end for a whole batch moves to the next epoch. */
    public Position normalize(Position p) {
        return p.sampleInEpoch() + globalBatch() > samples ? new Position(p.epoch() + 1, 0) : p;
    }

    /** Where the data stands {@code steps} steps after {@code from}. */
    public Position after(Position from, long steps) {
        Position p = normalize(from);
        long left = (samples - p.sampleInEpoch()) / globalBatch(); // whole steps left in this epoch
        if (steps < left) return normalize(new Position(p.epoch(), p.sampleInEpoch() + steps * globalBatch()));
        long rest = steps - left;
        return new Position(p.epoch() + 1 + rest / stepsPerEpoch(), rest % stepsPerEpoch() * globalBatch());
    }

    /** The samples of {@code rank} for the step starting at {@code at}: {@code [micro][microBatch]}. */
    public SampleOrder.Source[][] rankBatches(SampleOrder order, Position at, int rank) {
        if (rank < 0 || rank >= worldSize) throw new IllegalArgumentException("rank " + rank + " outside world of " + worldSize);
        if (order.total() != samples) {
            throw new IllegalArgumentException("the order has " + order.total() + " samples, the schedule " + samples);
        }
        Position p = normalize(at);
        SampleOrder.Source[] step = new SampleOrder.Source[globalBatch()];
        for (int i = 0; i < step.length; i++) step[i] = order.at(p.epoch(), p.sampleInEpoch() + i);
        Arrays.sort(step, Comparator.comparingLong(SampleOrder.Source::stream));
        SampleOrder.Source[][] out = new SampleOrder.Source[gradAccum][];
        int mine = rank * microBatch * gradAccum;
        for (int m = 0; m < gradAccum; m++) out[m] = Arrays.copyOfRange(step, mine + m * microBatch, mine + (m + 1) * microBatch);
        return out;
    }
}
