package dev.zerospark.collective;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link Rendezvous} for ranks that are processes of one host sharing a directory but not a network stack (e.g.
 * each in its own network namespace): round k, each rank writes {@code round-k/rank-R} (atomically, by rename)
 * and waits, on file-system events rather than a polling clock, until all {@code worldSize} files exist. Local
 * file systems only: inotify does not see writes made on another NFS client. Reusable: each call is one round.
 */
public final class FileRendezvous implements Rendezvous {
    private final Path dir;
    private final int rank;
    private final int worldSize;
    private final Duration timeout;
    private int round;

    public FileRendezvous(Path dir, int rank, int worldSize, Duration timeout) {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank must be in [0, world size " + worldSize + "), got " + rank);
        }
        this.dir = dir;
        this.rank = rank;
        this.worldSize = worldSize;
        this.timeout = timeout;
    }

    @Override
    public synchronized List<String> allGather(String myInfo) {
        Path roundDir = dir.resolve("round-" + round++);
        try {
            Files.createDirectories(roundDir);
            // Watch before publishing and listing, so a rank that arrives in between cannot be missed.
            try (WatchService watch = FileSystems.getDefault().newWatchService()) {
                // A rename into the directory is reported as a create.
                roundDir.register(watch, StandardWatchEventKinds.ENTRY_CREATE);
                Path tmp = roundDir.resolve(".rank-" + rank + ".tmp");
                Files.writeString(tmp, myInfo, StandardCharsets.UTF_8);
                Files.move(tmp, roundDir.resolve("rank-" + rank), StandardCopyOption.ATOMIC_MOVE);
                long deadline = System.nanoTime() + timeout.toNanos();
                while (true) {
                    List<String> all = readAll(roundDir);
                    if (all != null) {
                        return all;
                    }
                    long left = deadline - System.nanoTime();
                    WatchKey key = left <= 0 ? null : watch.poll(left, TimeUnit.NANOSECONDS);
                    if (key == null) {
                        throw new CollectiveException("rendezvous in " + roundDir + " timed out after " + timeout
                                + ": rank " + rank + " waited, missing ranks " + missing(roundDir));
                    }
                    key.pollEvents(); // which file arrived does not matter: the directory is read again
                    key.reset();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("rendezvous of rank " + rank + " in " + roundDir + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CollectiveException("rendezvous interrupted on rank " + rank, e);
        }
    }

    /** Every rank's info in rank order, or null while some rank has not published yet. */
    private List<String> readAll(Path roundDir) throws IOException {
        List<String> all = new ArrayList<>(worldSize);
        for (int r = 0; r < worldSize; r++) {
            Path f = roundDir.resolve("rank-" + r);
            if (!Files.exists(f)) {
                return null;
            }
            all.add(Files.readString(f, StandardCharsets.UTF_8));
        }
        return all;
    }

    private List<Integer> missing(Path roundDir) {
        List<Integer> missing = new ArrayList<>();
        for (int r = 0; r < worldSize; r++) {
            if (!Files.exists(roundDir.resolve("rank-" + r))) {
                missing.add(r);
            }
        }
        return missing;
    }
}
