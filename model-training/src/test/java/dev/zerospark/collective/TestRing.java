package dev.zerospark.collective;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs N ranks as threads of this JVM over real TCP on 127.0.0.1. */
public final class TestRing {
    /** What one rank does with its connected collective. */
    public interface RankBody<T> {
        T run(Collective collective) throws Exception;
    }

    /** The outcome of one rank: a value or the exception it threw, and when it ended. */
    public record Outcome<T>(T value, Throwable error, long elapsedNanos) {
        public T get() {
            if (error != null) {
                throw new AssertionError("rank failed: " + error, error);
            }
            return value;
        }
    }

    private TestRing() {}

    public static <T> List<T> run(int worldSize, CollectiveConfig config, RankBody<T> body) {
        List<T> values = new ArrayList<>();
        for (Outcome<T> outcome : runAll(worldSize, config, body)) {
            values.add(outcome.get());
        }
        return values;
    }

    /** Connects every rank, runs {@code body} on each, closes, and returns every outcome (failures included). */
    public static <T> List<Outcome<T>> runAll(int worldSize, CollectiveConfig config, RankBody<T> body) {
        InProcessRendezvous rendezvous = new InProcessRendezvous(worldSize, config.timeout().multipliedBy(2));
        JobSecret secret = JobSecret.random();
        ExecutorService pool = Executors.newFixedThreadPool(worldSize);
        try {
            List<Future<Outcome<T>>> futures = new ArrayList<>();
            for (int r = 0; r < worldSize; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    long start = System.nanoTime();
                    try (Collective c = Collective.connect(rank, worldSize, rendezvous.forRank(rank), secret,
                            config)) {
                        return new Outcome<>(body.run(c), null, System.nanoTime() - start);
                    } catch (Exception | AssertionError e) {
                        return new Outcome<T>(null, e, System.nanoTime() - start);
                    }
                }));
            }
            List<Outcome<T>> outcomes = new ArrayList<>();
            for (Future<Outcome<T>> f : futures) {
                outcomes.add(f.get(config.timeout().multipliedBy(10).plus(Duration.ofSeconds(30)).toMillis(),
                        TimeUnit.MILLISECONDS));
            }
            return outcomes;
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("ranks did not finish: " + e, e);
        } finally {
            pool.shutdownNow();
        }
    }
}
