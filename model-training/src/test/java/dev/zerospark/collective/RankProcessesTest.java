package dev.zerospark.collective;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ranks-as-processes wait: every rank's exit, the first failure with its log, the deadline. */
class RankProcessesTest {
    private static Process rank(Path dir, int rank, String script) throws Exception {
        return new ProcessBuilder("bash", "-c", script).redirectErrorStream(true)
                .redirectOutput(RankProcesses.logOf(dir, rank).toFile()).start();
    }

    private static void stop(List<Process> ranks) {
        ranks.forEach(Process::destroyForcibly);
    }

    @Test
    void ranksThatAllExitZeroPass(@TempDir Path dir) throws Exception {
        List<Process> ranks = List.of(rank(dir, 0, "exit 0"), rank(dir, 1, "sleep 0.2; exit 0"));
        RankProcesses.await(ranks, dir, 30, "test run");
        assertTrue(ranks.stream().noneMatch(Process::isAlive));
    }

    @Test
    void theFirstFailingRankFailsTheRunWithItsLog(@TempDir Path dir) throws Exception {
        List<Process> ranks = new ArrayList<>();
        try {
            ranks.add(rank(dir, 0, "sleep 30"));
            ranks.add(rank(dir, 1, "echo 'cannot start: injected'; exit 7"));
            RankProcesses.RankProcessFailedException e = assertThrows(RankProcesses.RankProcessFailedException.class,
                    () -> RankProcesses.await(ranks, dir, 30, "test run"));
            assertTrue(e.getMessage().startsWith("test run failed: rank 1 exited 7")
                    && e.getMessage().contains("cannot start: injected"), e.getMessage());
        } finally {
            stop(ranks);
        }
    }

    @Test
    void ranksPastTheDeadlineFailTheRun(@TempDir Path dir) throws Exception {
        List<Process> ranks = new ArrayList<>();
        try {
            ranks.add(rank(dir, 0, "echo waiting; sleep 30"));
            RankProcesses.RankProcessFailedException e = assertThrows(RankProcesses.RankProcessFailedException.class,
                    () -> RankProcesses.await(ranks, dir, 1, "test run"));
            assertTrue(e.getMessage().contains("ranks [0] did not finish within 1 s") && e.getMessage().contains("waiting"),
                    e.getMessage());
        } finally {
            stop(ranks);
        }
    }
}
