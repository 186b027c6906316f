package dev.zerospark.collective;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one "ranks as threads" harness: runs {@code worldSize} ranks as threads of this JVM, each with its own
 * {@link Collective} over real TCP (as Spark local mode and {@code verify-training} do), or ({@link #hosted}) each
 * with its share of an in-process rendezvous, for rank code that joins the ring itself (the trainer). Every thread
 * is joined before this returns.
 */
public final class LocalRanks {
    /** What one rank does with its connected collective. */
    public interface Body<T> {
        T run(Collective collective) throws Exception;
    }

    /** What one rank does with its share of the rendezvous, when it connects its own collective. */
    public interface HostedBody<T> {
        T run(int rank, Rendezvous rendezvous) throws Exception;
    }

    private LocalRanks() {}

    /**
     * Returns each rank's result in rank order. If any rank fails, throws a {@link RankFailedException} for the
     * root cause: a rank's own error is preferred over the collective errors it caused on the other ranks.
     */
    public static <T> List<T> run(int worldSize, CollectiveConfig config, Body<T> body) {
        JobSecret secret = JobSecret.random();
        return hosted(worldSize, config.timeout(), (rank, rendezvous) -> {
            try (Collective c = Collective.connect(rank, worldSize, rendezvous, secret, config)) {
                return body.run(c);
            }
        });
    }

    /**
     * Like {@link #run}, but each rank gets only its share of an in-process rendezvous (whose rounds wait up to
     * {@code timeout}) and connects what it needs itself. Results and failures as {@link #run}.
     */
    public static <T> List<T> hosted(int worldSize, Duration timeout, HostedBody<T> body) {
        InProcessRendezvous rendezvous = new InProcessRendezvous(worldSize, timeout);
        AtomicInteger threads = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(worldSize, task -> {
            Thread t = new Thread(task, "zerospark-rank-" + threads.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int r = 0; r < worldSize; r++) {
                int rank = r;
                futures.add(pool.submit(() -> body.run(rank, rendezvous.forRank(rank))));
            }
            List<T> results = new ArrayList<>();
            RankFailedException failure = null;
            for (int r = 0; r < worldSize; r++) {
                try {
                    results.add(futures.get(r).get());
                } catch (ExecutionException e) {
                    RankFailedException mine = new RankFailedException(r, e.getCause());
                    if (failure == null || (failure.getCause() instanceof CollectiveException
                            && !(e.getCause() instanceof CollectiveException))) {
                        if (failure != null) {
                            mine.addSuppressed(failure);
                        }
                        failure = mine;
                    } else {
                        failure.addSuppressed(mine);
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CollectiveException("interrupted while waiting for local ranks", e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** One local rank failed; the cause is its exception. */
    public static final class RankFailedException extends RuntimeException {
        private final int rank;

        RankFailedException(int rank, Throwable cause) {
            super("rank " + rank + " failed: " + cause, cause);
            this.rank = rank;
        }

        public int rank() {
            return rank;
        }
    }
}
