package dev.zerospark.collective.internal;

import dev.zerospark.collective.Collective;
import dev.zerospark.collective.CollectiveConfig;
import dev.zerospark.collective.InProcessRendezvous;
import dev.zerospark.collective.JobSecret;
import dev.zerospark.collective.PeerFailedException;
import dev.zerospark.collective.Rendezvous;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gradient frames are authenticated after the handshake: a proxy between rank 0 and rank 1 that flips one bit of
 * the first data frame (the handshake passes untouched) makes the collective fail naming rank 0 with the frame MAC
 * on, and goes unnoticed with it off.
 */
class FrameMacTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int FLOATS = 1000;
    /** Offset of the flipped byte in the rank 0 -> rank 1 stream: inside the first data frame's values. */
    private static final long TAMPER_AT = Handshake.CONNECTOR_BYTES + Wire.HEADER_BYTES + 40;

    @Test
    void aTamperedFrameFailsTheCollectiveNamingTheSender() throws Exception {
        List<Object> results = allReduceThroughTamperingProxy(CollectiveConfig.loopback(TIMEOUT));
        PeerFailedException atReceiver = assertInstanceOf(PeerFailedException.class, results.get(1));
        assertEquals(0, atReceiver.peerRank(), atReceiver.getMessage());
        assertTrue(atReceiver.getMessage().contains("failed its MAC check"), atReceiver.getMessage());
        PeerFailedException atSender = assertInstanceOf(PeerFailedException.class, results.get(0));
        assertEquals(0, atSender.peerRank(), "rank 1's abort names rank 0 on rank 0 too: " + atSender.getMessage());
    }

    @Test
    void withTheFrameMacOffTheSameTamperingGoesUnnoticed() throws Exception {
        List<Object> results = allReduceThroughTamperingProxy(CollectiveConfig.loopback(TIMEOUT).withFrameMac(false));
        String expected = java.util.Arrays.toString(expectedSum());
        for (Object result : results) {
            // No error anywhere, and the flipped bit went into the sums (which the all-gather spreads to both).
            float[] sums = assertInstanceOf(float[].class, result);
            assertNotEquals(expected, java.util.Arrays.toString(sums), "the tampered value reached the sums");
        }
    }

    @Test
    void untamperedTrafficPassesTheMacCheck() throws Exception {
        List<Object> results = allReduce(CollectiveConfig.loopback(TIMEOUT), -1);
        assertArrayEquals(expectedSum(), (float[]) results.get(0));
        assertArrayEquals(expectedSum(), (float[]) results.get(1));
    }

    private static List<Object> allReduceThroughTamperingProxy(CollectiveConfig config) throws Exception {
        return allReduce(config, TAMPER_AT);
    }

    private static float[] input(int rank) {
        float[] buf = new float[FLOATS];
        for (int i = 0; i < FLOATS; i++) buf[i] = (rank + 1) * 0.5f + i;
        return buf;
    }

    private static float[] expectedSum() {
        float[] a = input(0);
        float[] b = input(1);
        float[] sum = new float[FLOATS];
        for (int i = 0; i < FLOATS; i++) sum[i] = a[i] + b[i];
        return sum;
    }

    /**
     * Two ranks; rank 0 reaches rank 1 through a proxy that flips the byte at {@code tamperAt} of the forward
     * stream (-1: none). Returns each rank's result: its sums, or the exception its all-reduce threw.
     */
    private static List<Object> allReduce(CollectiveConfig config, long tamperAt) throws Exception {
        InProcessRendezvous rendezvous = new InProcessRendezvous(2, TIMEOUT);
        JobSecret secret = JobSecret.random();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (ServerSocket proxy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Future<?>> pumps = new ArrayList<>();
            Rendezvous rank0 = info -> {
                List<String> all = new ArrayList<>(rendezvous.forRank(0).allGather(info));
                InetSocketAddress target = RingCollective.parse(all.get(1));
                pumps.add(pool.submit(() -> relay(proxy, target, tamperAt, pool)));
                all.set(1, "127.0.0.1:" + proxy.getLocalPort());
                return all;
            };
            List<Future<Object>> ranks = List.of(
                    pool.submit(() -> run(0, rank0, secret, config)),
                    pool.submit(() -> run(1, rendezvous.forRank(1), secret, config)));
            List<Object> results = new ArrayList<>();
            for (Future<Object> f : ranks) results.add(f.get(TIMEOUT.toSeconds() * 3, TimeUnit.SECONDS));
            for (Future<?> p : pumps) assertNull(p.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private static Object run(int rank, Rendezvous rendezvous, JobSecret secret, CollectiveConfig config) {
        try (Collective c = Collective.connect(rank, 2, rendezvous, secret, config)) {
            float[] buf = input(rank);
            c.allReduce(buf);
            return buf;
        } catch (RuntimeException e) {
            return e;
        }
    }

    /** Accepts one connection and relays it to {@code target} both ways, flipping one bit on the way there. */
    private static Object relay(ServerSocket proxy, InetSocketAddress target, long tamperAt, ExecutorService pool)
            throws Exception {
        proxy.setSoTimeout((int) TIMEOUT.toMillis());
        try (Socket from = proxy.accept(); Socket to = new Socket(target.getAddress(), target.getPort())) {
            Future<?> back = pool.submit(() -> pump(to.getInputStream(), from.getOutputStream(), -1, from));
            pump(from.getInputStream(), to.getOutputStream(), tamperAt, to);
            back.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
        return null;
    }

    private static Object pump(InputStream in, OutputStream out, long tamperAt, Socket sink) {
        byte[] buf = new byte[8192];
        long position = 0;
        try {
            for (int n; (n = in.read(buf)) > 0; position += n) {
                if (tamperAt >= position && tamperAt < position + n) {
                    buf[(int) (tamperAt - position)] ^= 0x40;
                }
                out.write(buf, 0, n);
            }
            sink.shutdownOutput();
        } catch (IOException e) {
            // One side went away (after an abort): the relay is over.
        }
        return null;
    }
}
