package dev.zerospark.collective.internal;

import dev.zerospark.collective.CollectiveException;
import dev.zerospark.collective.CollectiveTimeoutException;
import dev.zerospark.collective.JobSecret;
import dev.zerospark.collective.PeerAuthenticationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Accepts the previous rank's connection while strangers may be connecting to the same port. Every pending
 * connection is handshaken on its own thread, at most {@link #MAX_PENDING} at once, each under its own deadline
 * ({@link #HANDSHAKE_CAP} or the join deadline, whichever comes first). So a client that connects first and
 * trickles bytes, or never speaks, holds one slot for a bounded time while the real peer is accepted next to
 * it; with all slots taken, new connections wait in the listen backlog until a slot frees.
 *
 * <p>Every wait here is bounded: the selector by the join deadline, the handshakes by theirs, and the final join
 * of the handshake threads (whose sockets are closed first) by the handshake cap.
 */
final class RingAcceptor {
    private static final Logger LOG = LoggerFactory.getLogger(RingAcceptor.class);
    /** Connections handshaken at once: the real peer plus a few strangers. */
    static final int MAX_PENDING = 4;
    /** Longest one connection may take to authenticate. */
    static final Duration HANDSHAKE_CAP = Duration.ofSeconds(10);

    /** What one handshake thread reports: the authenticated channel, or why it refused the connection. */
    private record Outcome(SocketChannel channel, byte[] frameKey, Exception error) {}

    private final ServerSocketChannel server;
    private final int rank;
    private final int prev;
    private final String prevAddress;
    private final JobSecret secret;
    private final boolean frameMac;
    private final long deadline;
    private final Duration timeout;

    RingAcceptor(ServerSocketChannel server, int rank, int prev, String prevAddress, JobSecret secret,
                 boolean frameMac, long deadline, Duration timeout) {
        this.server = server;
        this.rank = rank;
        this.prev = prev;
        this.prevAddress = prevAddress;
        this.secret = secret;
        this.frameMac = frameMac;
        this.deadline = deadline;
        this.timeout = timeout;
    }

    /**
     * Returns the first connection that authenticates as rank {@code prev}; refuses (and closes) the others.
     * Throws {@link CollectiveTimeoutException} when none did by the deadline, and {@link CollectiveException}
     * when interrupted or when the real peer is misconfigured.
     */
    AuthenticatedChannel accept() throws IOException {
        AtomicInteger threads = new AtomicInteger();
        ExecutorService handshakers = Executors.newFixedThreadPool(MAX_PENDING, r -> {
            Thread t = new Thread(r, "zerospark-collective-handshake-" + rank + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        LinkedBlockingQueue<Outcome> outcomes = new LinkedBlockingQueue<>();
        List<SocketChannel> pending = new ArrayList<>();
        List<Future<?>> started = new ArrayList<>();
        AuthenticatedChannel winner = null;
        try (Selector selector = Selector.open()) {
            server.configureBlocking(false);
            SelectionKey key = server.register(selector, 0);
            while (winner == null) {
                for (Outcome o; winner == null && (o = outcomes.poll()) != null; ) {
                    pending.remove(o.channel());
                    winner = settle(o);
                }
                if (winner != null) {
                    break;
                }
                if (Thread.currentThread().isInterrupted()) {
                    throw new CollectiveException("rank " + rank + " was interrupted while accepting rank " + prev);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new CollectiveTimeoutException(prev, prevAddress, "did not connect to rank " + rank
                            + " within " + timeout);
                }
                if (pending.size() < MAX_PENDING) {
                    SocketChannel channel = server.accept();
                    if (channel != null) {
                        pending.add(channel);
                        started.add(handshakers.submit(() -> handshake(channel, outcomes, selector)));
                        continue;
                    }
                    key.interestOps(SelectionKey.OP_ACCEPT);
                } else {
                    key.interestOps(0); // leave further clients in the backlog until a slot frees
                }
                // Woken by a new client, by a finished handshake (it calls wakeup), or by an interrupt.
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
            }
            return winner;
        } finally {
            for (SocketChannel channel : pending) {
                closeQuietly(channel); // ends its handshake at once
            }
            joinAll(started);
            handshakers.shutdown();
            for (Outcome o; (o = outcomes.poll()) != null; ) {
                if (winner == null || o.channel() != winner.channel()) {
                    closeQuietly(o.channel());
                }
            }
        }
    }

    private void handshake(SocketChannel channel, LinkedBlockingQueue<Outcome> outcomes, Selector selector) {
        try {
            channel.socket().setTcpNoDelay(true);
            long until = Math.min(deadline, System.nanoTime() + HANDSHAKE_CAP.toNanos());
            byte[] key = Handshake.accept(channel.socket(), rank, prev, secret, frameMac, until);
            channel.socket().setSoTimeout(0);
            outcomes.add(new Outcome(channel, key, null));
        } catch (IOException | RuntimeException e) {
            outcomes.add(new Outcome(channel, null, e));
        } finally {
            selector.wakeup();
        }
    }

    /** The winner, or null after refusing a stranger; rethrows what means the job itself is broken. */
    private AuthenticatedChannel settle(Outcome o) {
        if (o.error() == null) {
            return new AuthenticatedChannel(o.channel(), o.frameKey());
        }
        Object from = o.channel().socket().getRemoteSocketAddress(); // null once closed
        closeQuietly(o.channel());
        if (o.error() instanceof IOException || o.error() instanceof PeerAuthenticationException) {
            LOG.warn("Rank {} refused a collective connection from {}: {}", rank, from, o.error().toString());
            return null;
        }
        throw (RuntimeException) o.error();
    }

    /** Bounded: every handshake ends by its own deadline, and sooner once its socket is closed. */
    private void joinAll(List<Future<?>> started) {
        // An interrupt (the connect side failed) must not skip the join; it is restored afterwards.
        boolean interrupted = Thread.interrupted();
        long until = System.nanoTime() + HANDSHAKE_CAP.toNanos();
        try {
            for (Future<?> f : started) {
                try {
                    f.get(Math.max(1, until - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (ExecutionException e) {
                    LOG.debug("Handshake thread of rank {} failed", rank, e.getCause());
                } catch (TimeoutException e) {
                    LOG.warn("Handshake thread of rank {} did not end within {} of its socket closing", rank,
                            HANDSHAKE_CAP);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("Closing a refused connection", e);
        }
    }
}
