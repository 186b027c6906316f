package dev.zerospark.collective.internal;

import dev.zerospark.collective.CollectiveException;
import dev.zerospark.collective.JobSecret;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The handshake's overall deadline, its frame keys and its check of the frame MAC setting. */
class HandshakeTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void aClientTricklingBytesIsCutOffAtTheDeadlineNotKeptAliveByEachByte() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket(server.getInetAddress(), server.getLocalPort());
             Socket accepted = server.accept()) {
            // One byte every 200 ms: a per-read timeout of 1 s would never fire.
            Future<?> trickle = pool.submit(() -> {
                byte[] hello = ByteBuffer.allocate(20).putInt(Handshake.MAGIC).putInt(Handshake.VERSION).putInt(0)
                        .putInt(1).putInt(Handshake.FLAG_FRAME_MAC).array();
                for (int i = 0; ; i++) {
                    client.getOutputStream().write(i < hello.length ? hello[i] : 0);
                    Thread.sleep(200); // the attacker's pace, not a synchronisation
                }
            });
            long start = System.nanoTime();
            assertThrows(SocketTimeoutException.class, () -> Handshake.accept(accepted, 1, 0, JobSecret.random(),
                    true, start + SECOND));
            long elapsed = System.nanoTime() - start;
            // Generous for a shared CI host, and still half the ~10 s the trickled hello would take to arrive.
            assertTrue(elapsed < 5_000_000_000L, "the handshake took " + elapsed / 1e6 + " ms, deadline was 1 s");
            trickle.cancel(true);
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void bothSidesDeriveTheSameFreshFrameKey() throws Exception {
        JobSecret secret = JobSecret.random();
        byte[][] first = pair(secret, true, true);
        assertArrayEquals(first[0], first[1]);
        byte[][] second = pair(secret, true, true);
        assertTrue(!java.util.Arrays.equals(first[0], second[0]), "every connection gets its own frame key");
    }

    @Test
    void ranksWithDifferentFrameMacSettingsBothFailNamingTheSetting() {
        ExecutionFailure e = assertThrows(ExecutionFailure.class, () -> pair(JobSecret.random(), true, false));
        for (Throwable side : new Throwable[] {e.connector, e.acceptor}) {
            assertTrue(side instanceof CollectiveException && side.getMessage().contains("train.frame_mac"),
                    String.valueOf(side));
        }
    }

    /** Both sides' failures of one handshake. */
    private static final class ExecutionFailure extends Exception {
        final Throwable connector;
        final Throwable acceptor;

        ExecutionFailure(Throwable connector, Throwable acceptor) {
            super(connector + " / " + acceptor);
            this.connector = connector;
            this.acceptor = acceptor;
        }
    }

    /** Runs both sides of one handshake; returns {connector key, acceptor key}. */
    private static byte[][] pair(JobSecret secret, boolean connectorMac, boolean acceptorMac) throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket(server.getInetAddress(), server.getLocalPort());
             Socket accepted = server.accept()) {
            long deadline = System.nanoTime() + 5 * SECOND;
            Future<byte[]> acceptor = pool.submit(() -> Handshake.accept(accepted, 1, 0, secret, acceptorMac, deadline));
            Throwable connectorError = null;
            byte[] connectorKey = null;
            try {
                connectorKey = Handshake.connect(client, 0, 1, secret, connectorMac, deadline);
            } catch (IOException | RuntimeException e) {
                connectorError = e;
            }
            try {
                byte[] acceptorKey = acceptor.get(10, TimeUnit.SECONDS);
                if (connectorError != null) {
                    throw new ExecutionFailure(connectorError, null);
                }
                return new byte[][] {connectorKey, acceptorKey};
            } catch (java.util.concurrent.ExecutionException e) {
                throw new ExecutionFailure(connectorError, e.getCause());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
