package dev.zerospark.collective;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The one "ranks as processes" wait: ranks that are JVMs of their own on this host ({@code bench allreduce --netns},
 * {@code bench memory}), each logging to {@code DIR/rank-R.log}. The first rank to fail (or the deadline) fails the
 * run at once with that rank's log tail: a ring cannot finish without it, and the others would only wait out their
 * timeouts. The caller stops the processes that are left.
 */
public final class RankProcesses {
    private static final int TAIL_LINES = 30;

    private RankProcesses() {}

    /** Where rank {@code rank} of a run in {@code dir} writes its output. */
    public static Path logOf(Path dir, int rank) {
        return dir.resolve("rank-" + rank + ".log");
    }

    /** Waits for every rank to exit 0; {@code what} names the run in the error ("netns all-reduce bench"). */
    public static void await(List<Process> ranks, Path dir, long deadlineSeconds, String what)
            throws InterruptedException, IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(deadlineSeconds);
        List<Process> running = new ArrayList<>(ranks);
        while (!running.isEmpty()) {
            CompletableFuture<?> anyExit = CompletableFuture.anyOf(running.stream().map(Process::onExit).toArray(CompletableFuture[]::new));
            try {
                anyExit.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                throw new RankProcessFailedException(what + " failed: ranks " + running.stream().map(ranks::indexOf).toList()
                        + " did not finish within " + deadlineSeconds + " s; logs:\n" + tail(logOf(dir, ranks.indexOf(running.get(0)))));
            } catch (ExecutionException e) {
                throw new RankProcessFailedException("waiting for the ranks of the " + what + " failed: " + e.getCause());
            }
            for (Process p : List.copyOf(running)) {
                if (p.isAlive()) {
                    continue;
                }
                running.remove(p);
                int rank = ranks.indexOf(p);
                if (p.exitValue() != 0) {
                    throw new RankProcessFailedException(what + " failed: rank " + rank + " exited " + p.exitValue()
                            + " (the other ranks are stopped); its log " + logOf(dir, rank) + " ends:\n" + tail(logOf(dir, rank)));
                }
            }
        }
    }

    private static String tail(Path log) throws IOException {
        if (!Files.exists(log)) {
            return "(no log at " + log + ")";
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()));
    }

    /** A rank process exited non-zero, or the ranks did not finish in time. */
    public static final class RankProcessFailedException extends IllegalStateException {
        RankProcessFailedException(String message) {
            super(message);
        }
    }
}
