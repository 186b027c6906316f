package dev.zerospark.collective;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;

/**
 * One rank of {@link NetnsBench}, a JVM of its own started inside its network namespace:
 * {@code NetnsBenchRank DIR RANK WORLD_SIZE BIND_ADDRESS BYTES,... WARMUP ITERS WIRE CHUNK_BYTES TIMEOUT_MS}, the
 * job secret in {@value #SECRET_ENV}. The ranks meet through a {@link FileRendezvous} in DIR (they share the file
 * system, not a network), time the all-reduce with {@link AllReduceBench#timeAllReduces}, then rank 0 streams the
 * same bytes per size raw to rank 1 over the same links. Each rank writes its nanoseconds to DIR/result-RANK.
 */
public final class NetnsBenchRank {
    public static final String SECRET_ENV = "ZEROSPARK_JOB_SECRET";
    static final String RING = "ring";
    static final String LINK = "link";

    private NetnsBenchRank() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 10) {
            throw new IllegalArgumentException("usage: NetnsBenchRank DIR RANK WORLD_SIZE BIND_ADDRESS BYTES,... WARMUP ITERS "
                    + "WIRE CHUNK_BYTES TIMEOUT_MS; got " + args.length + " arguments: " + Arrays.toString(args));
        }
        Path dir = Path.of(args[0]);
        int rank = Integer.parseInt(args[1]);
        int worldSize = Integer.parseInt(args[2]);
        String bind = args[3];
        long[] bytes = Arrays.stream(args[4].split(",")).mapToLong(Long::parseLong).toArray();
        int warmup = Integer.parseInt(args[5]);
        int iterations = Integer.parseInt(args[6]);
        Duration timeout = Duration.ofMillis(Long.parseLong(args[9]));
        CollectiveConfig config = new CollectiveConfig(timeout, bind, Integer.parseInt(args[8]), WireFormat.valueOf(args[7]));
        String secret = System.getenv(SECRET_ENV);
        if (secret == null) {
            throw new IllegalArgumentException("the job secret is missing: set " + SECRET_ENV);
        }
        FileRendezvous rendezvous = new FileRendezvous(dir, rank, worldSize, timeout);
        StringBuilder result = new StringBuilder();
        try (Collective c = Collective.connect(rank, worldSize, rendezvous, JobSecret.fromBase64(secret), config)) {
            result.append(line(RING, AllReduceBench.timeAllReduces(c, bytes, warmup, iterations)));
            // The link stream below must not share the links with the ring's last frames.
            c.barrier();
        }
        long[] link = linkStream(rendezvous, rank, config, bytes, warmup, iterations);
        if (link != null) {
            result.append(line(LINK, link));
        }
        Path tmp = dir.resolve(".result-" + rank + ".tmp");
        Files.writeString(tmp, result, StandardCharsets.UTF_8);
        Files.move(tmp, resultFile(dir, rank), StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * One raw TCP stream, rank 0 to rank 1, of each size {@code warmup + iterations} times on one connection:
     * AllReduceBench's raw sender and timed receiver across two processes. Returns rank 1's nanoseconds per size
     * (the rounds after warmup), null on the other ranks. Every rank joins the rendezvous round that publishes
     * rank 1's address, so it is also a barrier.
     */
    private static long[] linkStream(Rendezvous rendezvous, int rank, CollectiveConfig config, long[] bytes, int warmup,
                                     int iterations) throws Exception {
        int rounds = warmup + iterations;
        if (rank != 1) {
            List<String> addresses = rendezvous.allGather("");
            if (rank == 0) {
                String[] hostPort = addresses.get(1).split(":");
                try (SocketChannel out = SocketChannel.open(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])))) {
                    for (long b : bytes) {
                        AllReduceBench.send(out, b * rounds, config.chunkBytes());
                    }
                }
            }
            return null;
        }
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(config.bindAddress(), 0));
            server.socket().setSoTimeout((int) Math.min(Integer.MAX_VALUE, config.timeout().toMillis()));
            rendezvous.allGather(config.bindAddress() + ":" + server.socket().getLocalPort());
            // The socket adaptor's accept honours the timeout, so a sender that never comes fails this rank.
            try (SocketChannel in = server.socket().accept().getChannel()) {
                long[] nanos = new long[bytes.length];
                for (int s = 0; s < bytes.length; s++) {
                    nanos[s] = AllReduceBench.timedReceive(in, bytes[s], warmup, rounds, config.chunkBytes(), new CyclicBarrier(1));
                }
                return nanos;
            }
        }
    }

    static Path resultFile(Path dir, int rank) {
        return dir.resolve("result-" + rank);
    }

    private static String line(String kind, long[] nanos) {
        StringBuilder s = new StringBuilder(kind);
        for (long n : nanos) {
            s.append(' ').append(n);
        }
        return s.append('\n').toString();
    }

    /** The {@code kind} line of a result file: one nanosecond count per size. */
    static long[] readNanos(Path file, String kind, int sizes) throws IOException {
        if (!Files.exists(file)) {
            throw new IllegalStateException("rank result " + file + " is missing: the rank ended without writing it");
        }
        for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String[] parts = l.split(" ");
            if (parts[0].equals(kind)) {
                if (parts.length != sizes + 1) {
                    throw new IllegalStateException("rank result " + file + " has " + (parts.length - 1) + " '" + kind
                            + "' values for " + sizes + " sizes: " + l);
                }
                return Arrays.stream(parts, 1, parts.length).mapToLong(Long::parseLong).toArray();
            }
        }
        throw new IllegalStateException("rank result " + file + " has no '" + kind + "' line");
    }
}
