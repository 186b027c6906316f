package dev.zerospark.collective;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** {@link Rendezvous} for ranks that are threads of one JVM. Reusable: each round waits for all ranks. */
public final class InProcessRendezvous {
    private final int worldSize;
    private final Duration timeout;
    private final String[] slots;
    private int arrived;
    private long generation;
    private List<String> lastResult = List.of();

    public InProcessRendezvous(int worldSize, Duration timeout) {
        if (worldSize < 1) {
            throw new IllegalArgumentException("world size must be >= 1, got " + worldSize);
        }
        this.worldSize = worldSize;
        this.timeout = timeout;
        this.slots = new String[worldSize];
    }

    /** The view of rank {@code rank}. */
    public Rendezvous forRank(int rank) {
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank must be in [0, " + worldSize + "), got " + rank);
        }
        return info -> allGather(rank, info);
    }

    private synchronized List<String> allGather(int rank, String info) {
        if (slots[rank] != null) {
            throw new IllegalStateException("rank " + rank + " joined the same rendezvous round twice");
        }
        slots[rank] = info;
        long myGeneration = generation;
        if (++arrived == worldSize) {
            lastResult = List.copyOf(new ArrayList<>(Arrays.asList(slots)));
            Arrays.fill(slots, null);
            arrived = 0;
            generation++;
            notifyAll();
            return lastResult;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (generation == myGeneration) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                slots[rank] = null;
                arrived--;
                throw new CollectiveException("rendezvous timed out after " + timeout + ": rank " + rank
                        + " waited, only " + (arrived + 1) + " of " + worldSize + " ranks arrived");
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CollectiveException("rendezvous interrupted on rank " + rank, e);
            }
        }
        return lastResult;
    }
}
