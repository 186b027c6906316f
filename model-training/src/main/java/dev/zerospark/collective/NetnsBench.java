package dev.zerospark.collective;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * {@code bench allreduce --netns N}: the all-reduce bench with every rank a separate JVM in its own network
 * namespace ({@code deploy/cluster/netsim.sh}), so the ranks talk over veth links shaped to a fixed rate instead
 * of sharing one loopback. The baseline, measured in the same run over the same shaped links, is one raw TCP
 * stream from rank 0's namespace to rank 1's; {@code busOverLink} = busbw / that stream. Every rank runs
 * {@link NetnsBenchRank}, which times the collective with {@link AllReduceBench#timeAllReduces}.
 *
 * <p>The namespaces are removed when the run ends, whether it succeeded, failed or was interrupted (a shutdown
 * hook covers Ctrl-C). One run at a time per {@link Options#prefix()}: {@code netsim.sh up} removes what an
 * earlier run left.
 */
public final class NetnsBench {
    private static final Logger LOG = LoggerFactory.getLogger(NetnsBench.class);
    /** Rank r listens on the r+1-th address of netsim.sh's subnet. */
    static final String SUBNET = "10.213.0.";
    private static final long STARTUP_ALLOWANCE_SECONDS = 120;

    /**
     * One run's settings.
     *
     * @param netsimScript {@code deploy/cluster/netsim.sh}
     * @param ipCommand the iproute2 {@code ip} command (name on PATH or path) used for {@code ip netns exec}
     * @param prefix namespace name prefix: ranks are prefix0..prefix{N-1}
     */
    public record Options(int worldSize, double linkGbit, long[] bytes, int warmup, int iterations, WireFormat wire,
                          int chunkBytes, Duration timeout, Path netsimScript, String ipCommand, String prefix) {
        public Options {
            if (worldSize < 2) {
                throw new IllegalArgumentException("--netns needs at least 2 ranks (the link stream runs between two), got " + worldSize);
            }
            if (!(linkGbit > 0)) {
                throw new IllegalArgumentException("--link-gbit must be > 0, got " + linkGbit);
            }
            AllReduceBench.checkArguments(bytes, warmup, iterations);
            new CollectiveConfig(timeout, "0.0.0.0", chunkBytes, wire); // validates the collective settings
        }
    }

    /** One size. Bandwidths in GB/s (1e9 bytes), the link's rate in Gbit/s (1e9 bits) as netsim.sh shapes it. */
    public record Row(int worldSize, String wire, long bytes, int iterations, double avgMillis, double algBwGBps,
                      double busBwGBps, double linkGbit, double linkStreamGBps,
                      @JsonProperty("bus_over_link") double busOverLink) {}

    private NetnsBench() {}

    public static String table(List<Row> rows) {
        StringBuilder out = new StringBuilder(String.format("%5s  %5s  %14s  %10s  %10s  %10s  %9s  %14s  %9s%n", "ranks", "wire",
                "bytes", "time_ms", "algbw_GB/s", "busbw_GB/s", "link_Gbit", "link_raw_GB/s", "bus/link"));
        for (Row r : rows) {
            out.append(String.format("%5d  %5s  %14d  %10.3f  %10.4f  %10.4f  %9.3f  %14.4f  %9.3f%n", r.worldSize(), r.wire(),
                    r.bytes(), r.avgMillis(), r.algBwGBps(), r.busBwGBps(), r.linkGbit(), r.linkStreamGBps(), r.busOverLink()));
        }
        return out.toString();
    }

    /**
     * Builds the namespaces, runs every rank and returns one row per size.
     *
     * @throws NetsimUnavailableException when this host cannot build them (not root, no {@code ip netns})
     */
    public static List<Row> run(Options o) {
        Netsim netsim = new Netsim(o.netsimScript(), o.ipCommand(), o.prefix());
        netsim.check();
        Path dir;
        try {
            dir = Files.createTempDirectory("zerospark-netns-bench");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the netns bench's scratch directory", e);
        }
        // Read by the shutdown hook's thread too.
        List<Process> ranks = new CopyOnWriteArrayList<>();
        Thread cleanup = new Thread(() -> {
            tearDown(ranks, netsim);
            deleteTree(dir);
        }, "zerospark-netsim-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        RuntimeException failure = null;
        try {
            return measure(o, netsim, ranks, dir);
        } catch (IOException e) {
            throw failure = new UncheckedIOException("netns all-reduce bench failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure = new IllegalStateException("interrupted while the netns ranks ran", e);
        } catch (RuntimeException e) {
            throw failure = e;
        } finally {
            try {
                tearDown(ranks, netsim);
                deleteTree(dir); // after the ranks are gone: they write their logs here
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (RuntimeException e) {
                // A failed clean-up must be seen, but not hide why the run itself failed. During a shutdown
                // (Ctrl-C) removing the hook fails too: the hook is then what tears down.
                if (failure == null) throw e;
                failure.addSuppressed(e);
            }
        }
    }

    private static List<Row> measure(Options o, Netsim netsim, List<Process> ranks, Path dir) throws IOException, InterruptedException {
        netsim.up(o.worldSize(), o.linkGbit());
        String secret = JobSecret.random().toBase64();
        for (int r = 0; r < o.worldSize(); r++) {
            ranks.add(launch(o, netsim, dir, r, secret));
        }
        RankProcesses.await(ranks, dir, deadlineSeconds(o), "netns all-reduce bench");
        return rows(o, readResults(dir, o));
    }

    /** Kills every rank still running (their sockets live in the namespaces), then removes the namespaces. */
    private static synchronized void tearDown(List<Process> ranks, Netsim netsim) {
        for (Process p : ranks) {
            p.destroyForcibly();
        }
        for (Process p : ranks) {
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                LOG.warn("interrupted while waiting for rank process {} to end; removing the namespaces anyway", p.pid());
            }
        }
        netsim.down();
    }

    private static Process launch(Options o, Netsim netsim, Path dir, int rank, String secret) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(netsim.ipCommand(), "netns", "exec", netsim.namespace(rank),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // N JVMs share this host's cores: the serial collector keeps each from starting a GC thread per core.
                "-XX:+UseSerialGC", "-Xmx" + heapMiB(o.bytes()) + "m"));
        String log4j = System.getProperty("log4j.configurationFile");
        if (log4j != null) {
            cmd.add("-Dlog4j.configurationFile=" + log4j);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), NetnsBenchRank.class.getName(),
                dir.toString(), Integer.toString(rank), Integer.toString(o.worldSize()), address(rank),
                join(o.bytes()), Integer.toString(o.warmup()), Integer.toString(o.iterations()),
                o.wire().name(), Integer.toString(o.chunkBytes()), Long.toString(o.timeout().toMillis())));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(RankProcesses.logOf(dir, rank).toFile());
        // The secret travels in the environment, not the command line that every user's `ps` shows.
        pb.environment().put(NetnsBenchRank.SECRET_ENV, secret);
        Process p = pb.start();
        p.getOutputStream().close();
        return p;
    }

    /** Generous: three times the bytes the ring and the link stream move at the shaped rate, plus JVM start-up. */
    static long deadlineSeconds(Options o) {
        double bits = 0;
        for (long b : o.bytes()) {
            bits += 8.0 * b * (o.warmup() + o.iterations()) * (2.0 * (o.worldSize() - 1) / o.worldSize() + 1);
        }
        return STARTUP_ALLOWANCE_SECONDS + (long) Math.ceil(3 * bits / (o.linkGbit() * 1e9));
    }

    private static List<long[]> readResults(Path dir, Options o) throws IOException {
        List<long[]> results = new ArrayList<>();
        for (int r = 0; r < o.worldSize(); r++) {
            results.add(NetnsBenchRank.readNanos(NetnsBenchRank.resultFile(dir, r), NetnsBenchRank.RING, o.bytes().length));
        }
        results.add(NetnsBenchRank.readNanos(NetnsBenchRank.resultFile(dir, 1), NetnsBenchRank.LINK, o.bytes().length));
        return results;
    }

    /** {@code results}: each rank's ring nanoseconds, then the link stream's. */
    private static List<Row> rows(Options o, List<long[]> results) {
        List<long[]> ring = results.subList(0, o.worldSize());
        long[] link = results.get(o.worldSize());
        List<Row> rows = new ArrayList<>();
        for (int s = 0; s < o.bytes().length; s++) {
            double seconds = AllReduceBench.slowestSeconds(ring, s, o.iterations());
            double algBw = o.bytes()[s] / seconds / 1e9;
            double busBw = AllReduceBench.busBw(algBw, o.worldSize());
            double linkStream = (double) o.bytes()[s] * o.iterations() / (link[s] / 1e9) / 1e9;
            rows.add(new Row(o.worldSize(), o.wire().name().toLowerCase(Locale.ROOT), o.bytes()[s], o.iterations(),
                    seconds * 1e3, algBw, busBw, o.linkGbit(), linkStream, busBw / linkStream));
        }
        return rows;
    }

    /** The buffer, its wire copy and the JIT warm-up, with room to spare: 3x the largest buffer plus 256 MiB. */
    static long heapMiB(long[] bytes) {
        long max = 0;
        for (long b : bytes) max = Math.max(max, b);
        return 256 + 3 * (max >> 20);
    }

    static String address(int rank) {
        return SUBNET + (rank + 1);
    }

    private static String join(long[] values) {
        StringBuilder s = new StringBuilder();
        for (long v : values) {
            s.append(s.isEmpty() ? "" : ",").append(v);
        }
        return s.toString();
    }


    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return; // the shutdown hook and the run's own clean-up may both get here
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warn("cannot delete the bench's scratch directory {}", dir, e);
        }
    }
}
