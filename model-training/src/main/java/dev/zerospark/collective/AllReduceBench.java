package dev.zerospark.collective;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code bench allreduce}, in the manner of nccl-tests: N ranks as threads over TCP on 127.0.0.1 all-reduce float32
 * buffers of each size; algbw = bytes / time, busbw = algbw * 2(N-1)/N (the per-rank link traffic of a
 * bandwidth-optimal all-reduce). The baseline, measured in the same run, is one raw TCP loopback stream moving the
 * same bytes from a direct buffer, with no collective logic. With a 16-bit reduction wire ({@code wire} bf16/fp16)
 * the buffers are still float32 in memory and {@code bytes} counts them, so the bandwidths are effective ones:
 * half of those bytes cross the wire.
 *
 * <p>A second baseline, {@code raw_ring}, runs N raw streams at once, rank i to rank i+1, each moving the bytes a
 * rank sends in a bandwidth-optimal all-reduce (2(N-1)/N of the buffer). On one host the N streams share its
 * cores and memory bandwidth, so this is the most any ring transport here can reach: {@code bus/ring} shows how
 * much of it the collective gets, {@code bus/raw} how the host compares with one stream alone.
 *
 * <p>{@code mac} says whether the frames carried their HMAC-SHA256 tags ({@link CollectiveConfig#frameMac()}); the
 * command runs both by default so the cost of authenticating gradient traffic shows side by side.
 */
public final class AllReduceBench {
    private static final Logger LOG = LoggerFactory.getLogger(AllReduceBench.class);

    /** One size. Bandwidths in GB/s (1e9 bytes); {@code busOverRaw} is NaN for one rank (no traffic). */
    public record Row(int worldSize, String wire, boolean frameMac, long bytes, int iterations, double avgMillis, double algBwGBps,
                      double busBwGBps, double rawStreamGBps, double busOverRaw, double rawRingGBps, double busOverRawRing) {}

    /** nccl-tests' defaults: enough untimed runs for the JIT and TCP windows to settle. */
    public static final int DEFAULT_WARMUP = 5;
    public static final int DEFAULT_ITERATIONS = 20;
    private static final int JIT_WARMUP_OPERATIONS = 50;

    private AllReduceBench() {}

    /** nccl-tests-like table. */
    public static String table(List<Row> rows) {
        StringBuilder out = new StringBuilder(String.format("%5s  %5s  %4s  %14s  %10s  %10s  %10s  %10s  %8s  %12s  %9s%n", "ranks", "wire", "mac",
                "bytes", "time_ms", "algbw_GB/s", "busbw_GB/s", "raw_GB/s", "bus/raw", "raw_ring_GB/s", "bus/ring"));
        for (Row r : rows) {
            out.append(String.format("%5d  %5s  %4s  %14d  %10.3f  %10.3f  %10.3f  %10.3f  %8.3f  %12.3f  %9.3f%n", r.worldSize(), r.wire(),
                    r.frameMac() ? "on" : "off", r.bytes(),
                    r.avgMillis(), r.algBwGBps(), r.busBwGBps(), r.rawStreamGBps(), r.busOverRaw(), r.rawRingGBps(), r.busOverRawRing()));
        }
        return out.toString();
    }

    /** Measures every size in {@code bytes} (multiples of 4) after {@code warmup} untimed operations. */
    public static List<Row> run(int worldSize, long[] bytes, int warmup, int iterations, CollectiveConfig config) {
        checkArguments(bytes, warmup, iterations);
        List<long[]> nanosPerRank = LocalRanks.run(worldSize, config, c -> timeAllReduces(c, bytes, warmup, iterations));
        List<Row> rows = new ArrayList<>();
        for (int s = 0; s < bytes.length; s++) {
            double seconds = slowestSeconds(nanosPerRank, s, iterations);
            double algBw = bytes[s] / seconds / 1e9;
            double busBw = busBw(algBw, worldSize);
            double raw = rawLoopbackGBps(bytes[s], warmup, iterations, config.chunkBytes());
            long perRank = bytes[s] * 2 * (worldSize - 1) / worldSize;
            double ring = worldSize == 1 ? Double.NaN : rawRingGBps(worldSize, perRank, warmup, iterations, config.chunkBytes());
            rows.add(new Row(worldSize, config.reductionWire().name().toLowerCase(java.util.Locale.ROOT), config.frameMac(), bytes[s], iterations, seconds * 1e3, algBw, busBw, raw,
                    worldSize == 1 ? Double.NaN : busBw / raw, ring, worldSize == 1 ? Double.NaN : busBw / ring));
        }
        return rows;
    }

    /** Rejects sizes that are not whole float32 buffers, and iteration counts below one. */
    static void checkArguments(long[] bytes, int warmup, int iterations) {
        for (long b : bytes) {
            if (b < 4 || b % 4 != 0 || b / 4 > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("--bytes must be a positive multiple of 4 below 8 GiB, got " + b);
            }
        }
        if (iterations < 1 || warmup < 0) {
            throw new IllegalArgumentException("need iterations >= 1 and warmup >= 0, got " + iterations + " and "
                    + warmup);
        }
    }

    /** Seconds per operation of size {@code s} on the slowest rank. */
    static double slowestSeconds(List<long[]> nanosPerRank, int s, int iterations) {
        long slowest = 0;
        for (long[] nanos : nanosPerRank) {
            slowest = Math.max(slowest, nanos[s]);
        }
        return slowest / 1e9 / iterations;
    }

    /** nccl-tests' bus bandwidth: what each rank's link carries in a bandwidth-optimal all-reduce. */
    static double busBw(double algBw, int worldSize) {
        return algBw * 2.0 * (worldSize - 1) / worldSize;
    }

    /**
     * The measuring loop one rank runs: per size, {@code warmup} untimed all-reduces, a barrier, then the time of
     * {@code iterations} all-reduces. Returns this rank's nanoseconds per size; the slowest rank's time counts.
     */
    public static long[] timeAllReduces(Collective c, long[] bytes, int warmup, int iterations) {
        long[] nanos = new long[bytes.length];
        // Compile the hot loops before the first measured size; per-size warmup then settles TCP windows.
        float[] jit = new float[1 << 18];
        for (int i = 0; i < JIT_WARMUP_OPERATIONS; i++) {
            c.allReduce(jit);
        }
        for (int s = 0; s < bytes.length; s++) {
            float[] buf = new float[(int) (bytes[s] / 4)];
            java.util.Arrays.fill(buf, 1f / (c.rank() + 1));
            for (int i = 0; i < warmup; i++) {
                c.allReduce(buf);
            }
            c.barrier();
            long start = System.nanoTime();
            for (int i = 0; i < iterations; i++) {
                c.allReduce(buf);
            }
            nanos[s] = System.nanoTime() - start;
        }
        return nanos;
    }

    /**
     * GB/s per stream of {@code n} TCP streams on 127.0.0.1 running at once in a ring (i sends to i+1), each
     * moving {@code bytes} per iteration from a direct buffer. The receivers start their clocks together after
     * the warmup rounds (a barrier), and the slowest one's time counts. Connections are accepted here with a
     * timeout, so a sender that cannot connect fails the measurement instead of leaving a receiver waiting.
     */
    public static double rawRingGBps(int n, long bytes, int warmup, int iterations, int chunkBytes) {
        int rounds = warmup + iterations;
        List<ServerSocketChannel> servers = new ArrayList<>();
        List<SocketChannel> accepted = new ArrayList<>();
        List<FutureTask<Long>> senders = new ArrayList<>();
        List<FutureTask<Long>> receivers = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                ServerSocketChannel server = ServerSocketChannel.open();
                servers.add(server);
                server.bind(new InetSocketAddress("127.0.0.1", 0));
                server.socket().setSoTimeout(ACCEPT_TIMEOUT_MILLIS);
            }
            for (int i = 0; i < n; i++) {
                InetSocketAddress next = (InetSocketAddress) servers.get((i + 1) % n).getLocalAddress();
                senders.add(new FutureTask<>(() -> {
                    try (SocketChannel out = SocketChannel.open(next)) {
                        send(out, bytes * rounds, chunkBytes);
                    }
                    return 0L;
                }));
            }
            start(senders, "zerospark-bench-raw-sender-");
            for (ServerSocketChannel server : servers) accepted.add(server.socket().accept().getChannel()); // the socket adaptor honours the timeout
            CyclicBarrier together = new CyclicBarrier(n);
            for (SocketChannel in : accepted) receivers.add(new FutureTask<>(() -> timedReceive(in, bytes, warmup, rounds, chunkBytes, together)));
            start(receivers, "zerospark-bench-raw-receiver-");
            long slowest = 0;
            for (FutureTask<Long> r : receivers) slowest = Math.max(slowest, r.get());
            for (FutureTask<Long> w : senders) w.get();
            return (double) bytes * iterations / (slowest / 1e9) / 1e9;
        } catch (IOException e) {
            throw new UncheckedIOException("raw loopback ring baseline failed", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("raw loopback ring stream failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during the raw loopback ring baseline", e);
        } finally {
            // Closing every socket also ends any stream still running after a failure: its thread sees the close.
            for (java.io.Closeable c : concat(accepted, servers)) {
                try {
                    c.close();
                } catch (IOException e) {
                    // the measurement is over either way; nothing is lost by a socket that would not close
                    LOG.debug("closing bench socket {}: {}", c, e.toString());
                }
            }
        }
    }

    private static final int ACCEPT_TIMEOUT_MILLIS = 30_000;

    private static List<java.io.Closeable> concat(List<? extends java.io.Closeable> a, List<? extends java.io.Closeable> b) {
        List<java.io.Closeable> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static void start(List<FutureTask<Long>> tasks, String name) {
        for (int t = 0; t < tasks.size(); t++) {
            Thread thread = new Thread(tasks.get(t), name + t);
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** Writes {@code total} bytes from a direct buffer, {@code chunkBytes} at a time: a raw stream's sender. */
    static void send(SocketChannel out, long total, int chunkBytes) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocateDirect(chunkBytes);
        for (long left = total; left > 0; ) {
            chunk.clear().limit((int) Math.min(chunkBytes, left));
            while (chunk.hasRemaining()) left -= out.write(chunk);
        }
    }

    /** Reads {@code rounds} x {@code bytes}; returns the nanoseconds of the rounds after {@code warmup}, timed from the barrier. */
    static long timedReceive(SocketChannel in, long bytes, int warmup, int rounds, int chunkBytes, CyclicBarrier together)
            throws IOException, InterruptedException, BrokenBarrierException, TimeoutException {
        ByteBuffer chunk = ByteBuffer.allocateDirect(chunkBytes);
        long start = 0;
        for (int r = 0; r < rounds; r++) {
            if (r == warmup) {
                together.await(ACCEPT_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
                start = System.nanoTime();
            }
            for (long left = bytes; left > 0; ) {
                chunk.clear().limit((int) Math.min(chunkBytes, left));
                int read = in.read(chunk);
                if (read < 0) throw new IOException("raw loopback ring sender closed early");
                left -= read;
            }
        }
        return System.nanoTime() - start;
    }

    /** GB/s of one TCP stream on 127.0.0.1 sending {@code bytes} per iteration from a direct buffer: a ring of one. */
    public static double rawLoopbackGBps(long bytes, int warmup, int iterations, int chunkBytes) {
        return rawRingGBps(1, bytes, warmup, iterations, chunkBytes);
    }
}
