package dev.zerospark.collective;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ranks that share only a directory meet round after round; a missing rank is named when the wait times out. */
class FileRendezvousTest {
    @Test
    void everyRankGetsEveryInfoInRankOrderInEachRound(@TempDir Path dir) throws Exception {
        int n = 3;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<List<List<String>>>> futures = new ArrayList<>();
            // Ranks arrive in reverse order, so a rank must wait for later files, not just read what is there.
            for (int r = n - 1; r >= 0; r--) {
                int rank = r;
                futures.add(0, pool.submit(() -> {
                    FileRendezvous rv = new FileRendezvous(dir, rank, n, Duration.ofSeconds(30));
                    return List.of(rv.allGather("a" + rank), rv.allGather("b" + rank));
                }));
            }
            for (Future<List<List<String>>> f : futures) {
                List<List<String>> rounds = f.get(60, TimeUnit.SECONDS);
                assertEquals(List.of("a0", "a1", "a2"), rounds.get(0));
                assertEquals(List.of("b0", "b1", "b2"), rounds.get(1));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRankThatNeverComesIsNamedWhenTheWaitTimesOut(@TempDir Path dir) {
        FileRendezvous rv = new FileRendezvous(dir, 0, 3, Duration.ofMillis(300));
        CollectiveException e = assertThrows(CollectiveException.class, () -> rv.allGather("x"));
        assertTrue(e.getMessage().contains("missing ranks [1, 2]"), e.getMessage());
    }
}
