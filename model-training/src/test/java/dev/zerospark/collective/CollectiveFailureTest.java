package dev.zerospark.collective;

import dev.zerospark.collective.internal.Handshake;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Dead and stalled peers make every rank fail within the timeout naming the culprit; strangers are refused. */
class CollectiveFailureTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    @Test
    void aPeerThatDiesMidRunMakesEveryOtherRankFailNamingIt() {
        int victim = 2;
        CollectiveConfig config = CollectiveConfig.loopback(TIMEOUT).withChunkBytes(64 << 10);
        List<TestRing.Outcome<String>> outcomes = TestRing.runAll(4, config, c -> {
            float[] buf = new float[1 << 20];
            c.allReduce(buf); // the ring works before the failure
            if (c.rank() == victim) {
                c.close(); // what the OS does to the sockets of a killed process
                return "killed";
            }
            long start = System.nanoTime();
            PeerFailedException e = assertThrows(PeerFailedException.class, () -> c.allReduce(buf));
            long elapsed = System.nanoTime() - start;
            assertTrue(elapsed < TIMEOUT.toNanos(), "rank " + c.rank() + " took " + elapsed / 1e6 + " ms");
            assertEquals(victim, e.peerRank(), "rank " + c.rank() + " blamed the wrong peer: " + e.getMessage());
            assertThrows(CollectiveException.class, c::barrier, "a broken collective must stay broken");
            return e.peerAddress();
        });
        String victimAddress = null;
        for (int r = 0; r < 4; r++) {
            String address = outcomes.get(r).get();
            if (r != victim) {
                assertTrue(address.startsWith("127.0.0.1:"), address);
                victimAddress = victimAddress == null ? address : victimAddress;
                assertEquals(victimAddress, address, "every rank names the same host:port");
            }
        }
    }

    @Test
    void anAbortingRankTellsEveryPeerWhy() {
        int quitter = 1;
        String reason = "rank 1 failed [CONFIG]: bad key train.x";
        CollectiveConfig config = CollectiveConfig.loopback(TIMEOUT).withChunkBytes(64 << 10);
        List<TestRing.Outcome<String>> outcomes = TestRing.runAll(4, config, c -> {
            float[] buf = new float[1 << 16];
            c.allReduce(buf);
            if (c.rank() == quitter) {
                c.abort(reason);
                assertThrows(CollectiveException.class, () -> c.allReduce(buf), "an aborted collective stays broken");
                return "aborted";
            }
            PeerFailedException e = assertThrows(PeerFailedException.class, () -> c.allReduce(buf));
            assertEquals(quitter, e.peerRank(), e.getMessage());
            return e.getMessage();
        });
        for (int r = 0; r < 4; r++) {
            if (r != quitter) assertTrue(outcomes.get(r).get().contains(reason), "rank " + r + ": " + outcomes.get(r).get());
        }
    }

    @Test
    void aStalledPeerMakesEveryOtherRankFailWithinTheTimeoutNamingIt() throws InterruptedException {
        int stalled = 1;
        CountDownLatch othersDone = new CountDownLatch(2);
        record Failure(PeerFailedException error, long nanos) {}
        List<TestRing.Outcome<Failure>> outcomes = TestRing.runAll(3,
                CollectiveConfig.loopback(TIMEOUT), c -> {
                    float[] buf = new float[50_000];
                    c.allReduce(buf);
                    if (c.rank() == stalled) {
                        // Alive and connected, but never joins the second operation.
                        assertTrue(othersDone.await(30, TimeUnit.SECONDS));
                        return null;
                    }
                    try {
                        long start = System.nanoTime();
                        PeerFailedException e = assertThrows(PeerFailedException.class, () -> c.allReduce(buf));
                        return new Failure(e, System.nanoTime() - start);
                    } finally {
                        othersDone.countDown();
                    }
                });
        for (int r = 0; r < 3; r++) {
            if (r == stalled) {
                continue;
            }
            Failure failure = outcomes.get(r).get();
            assertEquals(stalled, failure.error().peerRank(), "rank " + r + ": " + failure.error().getMessage());
            // The rank after the stalled one times out; the abort reaches the others within milliseconds.
            assertTrue(failure.nanos() < TIMEOUT.toNanos() + 1_000_000_000L,
                    "rank " + r + " took " + failure.nanos() / 1e6 + " ms");
        }
        assertInstanceOf(CollectiveTimeoutException.class, outcomes.get(2).get().error(),
                "the rank right after the stalled one detects the stall itself");
    }

    @Test
    void ranksCallingWithDifferentSizesFailInsteadOfHanging() {
        List<TestRing.Outcome<CollectiveException>> outcomes = TestRing.runAll(2,
                CollectiveConfig.loopback(Duration.ofSeconds(30)), c -> {
                    float[] buf = new float[c.rank() == 0 ? 10 : 12];
                    return assertThrows(CollectiveException.class, () -> c.allReduce(buf));
                });
        for (TestRing.Outcome<CollectiveException> outcome : outcomes) {
            assertTrue(outcome.get().getMessage().contains("protocol mismatch"), outcome.get().getMessage());
            assertTrue(outcome.elapsedNanos() < Duration.ofSeconds(10).toNanos(), "failed fast, not by timeout");
        }
    }

    @Test
    void clientsWithoutTheSecretAreRefusedAndTheRingStillForms() {
        InProcessRendezvous rendezvous = new InProcessRendezvous(2, TIMEOUT.multipliedBy(5));
        JobSecret secret = JobSecret.random();
        CollectiveConfig config = CollectiveConfig.loopback(TIMEOUT.multipliedBy(5));
        String[] rogueResults = new String[2];
        // Rank 0 is rank 1's only legitimate client; strangers get to rank 1 first.
        Rendezvous rank0 = info -> {
            List<String> all = rendezvous.forRank(0).allGather(info);
            InetSocketAddress target = address(all.get(1));
            rogueResults[0] = wrongSecretClient(target);
            rogueResults[1] = plainClient(target);
            return all;
        };
        List<TestRing.Outcome<float[]>> outcomes = new java.util.ArrayList<>();
        Thread other = new Thread(() -> outcomes.add(connectAndSum(1, rendezvous.forRank(1), secret, config)));
        other.start();
        TestRing.Outcome<float[]> mine = connectAndSum(0, rank0, secret, config);
        try {
            other.join(TIMEOUT.multipliedBy(10).toMillis());
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertEquals("PeerAuthenticationException", rogueResults[0]);
        assertEquals("closed", rogueResults[1]);
        assertArrayEquals(new float[] {1f, 2f}, mine.get());
        assertArrayEquals(new float[] {1f, 2f}, outcomes.get(0).get());
    }

    @Test
    void aTricklingStrangerAndAWrongSecretClientConnectingFirstDoNotDelayTheRing() throws Exception {
        Duration timeout = Duration.ofSeconds(20);
        InProcessRendezvous rendezvous = new InProcessRendezvous(2, timeout);
        JobSecret secret = JobSecret.random();
        CollectiveConfig config = CollectiveConfig.loopback(timeout);
        java.util.concurrent.atomic.AtomicInteger trickled = new java.util.concurrent.atomic.AtomicInteger();
        Thread[] trickler = new Thread[1];
        String[] rogueResult = new String[1];
        // Both strangers are connected to rank 1 (queued ahead of rank 0) before rank 0 even starts to dial.
        Rendezvous rank0 = info -> {
            List<String> all = rendezvous.forRank(0).allGather(info);
            InetSocketAddress target = address(all.get(1));
            trickler[0] = tricklingClient(target, trickled);
            rogueResult[0] = wrongSecretClient(target);
            return all;
        };
        List<TestRing.Outcome<float[]>> outcomes = new java.util.ArrayList<>();
        Thread other = new Thread(() -> outcomes.add(connectAndSum(1, rendezvous.forRank(1), secret, config)));
        other.start();
        TestRing.Outcome<float[]> mine = connectAndSum(0, rank0, secret, config);
        other.join(timeout.multipliedBy(2).toMillis());
        assertFalse(other.isAlive(), "rank 1 finished");
        trickler[0].join(timeout.toMillis()); // rank 1 closed it once the ring formed
        assertEquals("PeerAuthenticationException", rogueResult[0]);
        assertArrayEquals(new float[] {1f, 2f}, mine.get());
        assertArrayEquals(new float[] {1f, 2f}, outcomes.get(0).get());
        // A stranger that keeps its connection alive byte by byte must not hold the acceptor: the ring forms in
        // about the time it takes without strangers, below the 10 s handshake cap that a one-at-a-time acceptor
        // would wait out (8 s leaves room for a busy CI host).
        assertTrue(mine.elapsedNanos() < Duration.ofSeconds(8).toNanos(), mine.elapsedNanos() / 1e6 + " ms");
        assertTrue(outcomes.get(0).elapsedNanos() < Duration.ofSeconds(8).toNanos(),
                outcomes.get(0).elapsedNanos() / 1e6 + " ms");
        assertFalse(trickler[0].isAlive(), "the trickling connection was closed");
        assertTrue(trickled.get() >= 1, "the stranger did trickle");
    }

    @Test
    void aRankWithAnotherSecretCannotJoin() {
        InProcessRendezvous rendezvous = new InProcessRendezvous(2, TIMEOUT);
        CollectiveConfig config = CollectiveConfig.loopback(TIMEOUT);
        List<TestRing.Outcome<float[]>> outcomes = new java.util.ArrayList<>();
        Thread other = new Thread(() -> outcomes.add(
                connectAndSum(1, rendezvous.forRank(1), JobSecret.random(), config)));
        other.start();
        TestRing.Outcome<float[]> mine = connectAndSum(0, rendezvous.forRank(0), JobSecret.random(), config);
        try {
            other.join(TIMEOUT.multipliedBy(10).toMillis());
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        // Whichever side checks first refuses; the other then sees its connection dropped. Neither joins.
        assertInstanceOf(CollectiveException.class, mine.error());
        assertInstanceOf(CollectiveException.class, outcomes.get(0).error());
        assertTrue(mine.error() instanceof PeerAuthenticationException
                        || outcomes.get(0).error() instanceof PeerAuthenticationException,
                mine.error() + " / " + outcomes.get(0).error());
    }

    private static TestRing.Outcome<float[]> connectAndSum(int rank, Rendezvous rendezvous, JobSecret secret,
                                                         CollectiveConfig config) {
        long start = System.nanoTime();
        try (Collective c = Collective.connect(rank, 2, rendezvous, secret, config)) {
            float[] buf = {rank == 0 ? 1f : 0f, rank == 1 ? 2f : 0f};
            c.allReduce(buf);
            return new TestRing.Outcome<>(buf, null, System.nanoTime() - start);
        } catch (RuntimeException e) {
            return new TestRing.Outcome<>(null, e, System.nanoTime() - start);
        }
    }

    /** Speaks the protocol correctly but with a different secret. */
    private static String wrongSecretClient(InetSocketAddress target) {
        try (Socket socket = new Socket()) {
            socket.connect(target, 5000);
            socket.setSoTimeout(5000);
            Handshake.connect(socket, 0, 1, JobSecret.random(), true, System.nanoTime() + 5_000_000_000L);
            return "accepted";
        } catch (PeerAuthenticationException e) {
            return "PeerAuthenticationException";
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    /**
     * Connects now, then sends a hello one byte every 300 ms on its own thread, keeping every per-read socket
     * timeout from firing, until the other side closes the connection.
     */
    private static Thread tricklingClient(InetSocketAddress target, java.util.concurrent.atomic.AtomicInteger sent) {
        Socket socket = new Socket();
        try {
            socket.connect(target, 5000);
        } catch (java.io.IOException e) {
            throw new AssertionError("trickling client could not connect", e);
        }
        Thread t = new Thread(() -> {
            try (socket) {
                // A well-formed hello header claiming to be rank 0, then nonce bytes that never end.
                byte[] hello = java.nio.ByteBuffer.allocate(20).putInt(0x5A53434C).putInt(2).putInt(0).putInt(1)
                        .putInt(1).array();
                for (int i = 0; ; i++) {
                    socket.getOutputStream().write(i < hello.length ? hello[i] : 0);
                    socket.getOutputStream().flush();
                    sent.incrementAndGet();
                    Thread.sleep(300); // the attacker's pace, not a synchronisation
                }
            } catch (java.io.IOException | InterruptedException e) {
                // The acceptor closed us: what the test waits for.
            }
        }, "trickling-stranger");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Not a collective client at all. */
    private static String plainClient(InetSocketAddress target) {
        try (Socket socket = new Socket()) {
            socket.connect(target, 5000);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            return in.read() == -1 ? "closed" : "answered";
        } catch (java.io.IOException e) {
            return "closed"; // reset by the refusing side
        }
    }

    private static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        assertNotNull(hostPort);
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }
}
