package dev.zerospark.collective.internal;

import dev.zerospark.collective.Collective;
import dev.zerospark.collective.CollectiveConfig;
import dev.zerospark.collective.CollectiveException;
import dev.zerospark.collective.CollectiveTimeoutException;
import dev.zerospark.collective.JobSecret;
import dev.zerospark.collective.PeerFailedException;
import dev.zerospark.collective.Rendezvous;
import dev.zerospark.collective.ShardRanges;
import dev.zerospark.collective.WireFormat;
import dev.zerospark.flat.FlatFloats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** {@link Collective} over a ring of authenticated TCP connections: rank r connects to r+1, accepts r-1. */
public final class RingCollective implements Collective {
    private static final Logger LOG = LoggerFactory.getLogger(RingCollective.class);
    /** How long past the join deadline the acceptor may take to close its pending handshakes. */
    private static final long JOIN_GRACE_NANOS = 1_000_000_000L;

    private final int rank;
    private final int worldSize;
    private final CollectiveConfig config;
    private final RingLinks links;
    private int seq;
    private volatile CollectiveException broken;
    private volatile boolean closed;

    private RingCollective(int rank, int worldSize, CollectiveConfig config, RingLinks links) {
        this.rank = rank;
        this.worldSize = worldSize;
        this.config = config;
        this.links = links;
    }

    public static RingCollective connect(int rank, int worldSize, Rendezvous rendezvous, JobSecret secret,
                                         CollectiveConfig config) {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank must be in [0, world size " + worldSize + "), got " + rank);
        }
        if (worldSize == 1) {
            return new RingCollective(0, 1, config, null);
        }
        ServerSocketChannel server = null;
        try {
            server = ServerSocketChannel.open();
            server.bind(new InetSocketAddress(config.bindAddress(), 0), worldSize + 8);
            String me = advertisedHost(config.bindAddress()) + ":" + server.socket().getLocalPort();
            List<String> addresses = List.copyOf(rendezvous.allGather(me));
            if (addresses.size() != worldSize) {
                throw new CollectiveException("rendezvous returned " + addresses.size() + " addresses for world size "
                        + worldSize + ": " + addresses);
            }
            // The clock starts once everyone is known: rendezvous itself may legitimately wait for slow starters.
            long deadline = System.nanoTime() + config.timeout().toNanos();
            int next = (rank + 1) % worldSize;
            int prev = Math.floorMod(rank - 1, worldSize);
            RingAcceptor acceptor = new RingAcceptor(server, rank, prev, addresses.get(prev), secret,
                    config.frameMac(), deadline, config.timeout());
            FutureTask<AuthenticatedChannel> accepting = new FutureTask<>(acceptor::accept);
            Thread acceptorThread = new Thread(accepting, "zerospark-collective-accept-" + rank);
            acceptorThread.setDaemon(true);
            acceptorThread.start();
            AuthenticatedChannel nextLink;
            try {
                nextLink = connectNext(rank, next, addresses.get(next), secret, config.frameMac(), deadline,
                        config.timeout());
            } catch (RuntimeException e) {
                acceptorThread.interrupt(); // wakes its selector; it closes pending handshakes and returns
                joinQuietly(accepting);
                throw e;
            }
            AuthenticatedChannel prevLink;
            try {
                // The acceptor gives up at the deadline by itself; the extra second only covers its clean-up.
                prevLink = accepting.get(Math.max(0, deadline - System.nanoTime()) + JOIN_GRACE_NANOS,
                        TimeUnit.NANOSECONDS);
            } catch (ExecutionException | TimeoutException e) {
                closeQuietly(nextLink.channel());
                if (e instanceof TimeoutException) {
                    acceptorThread.interrupt();
                    joinQuietly(accepting);
                    throw new CollectiveTimeoutException(prev, addresses.get(prev), "did not connect to rank "
                            + rank + " within " + config.timeout());
                }
                throw e.getCause() instanceof RuntimeException re ? re
                        : new CollectiveException("rank " + rank + " could not accept rank " + prev, e.getCause());
            }
            SocketChannel prevChannel = prevLink.channel();
            SocketChannel nextChannel = nextLink.channel();
            LOG.info("Rank {}/{} joined the collective ring: prev {} at {}, next {} at {}", rank, worldSize, prev,
                    addresses.get(prev), next, addresses.get(next));
            try {
                return new RingCollective(rank, worldSize, config,
                        RingLinks.open(rank, addresses, prevChannel, nextChannel, config.chunkBytes(),
                                config.frameMac() ? prevLink.frameKey() : null,
                                config.frameMac() ? nextLink.frameKey() : null));
            } catch (IOException e) {
                closeQuietly(prevChannel);
                closeQuietly(nextChannel);
                throw e;
            }
        } catch (IOException e) {
            throw new CollectiveException("rank " + rank + " could not listen on " + config.bindAddress(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CollectiveException("rank " + rank + " was interrupted while joining the ring", e);
        } finally {
            if (server != null) {
                try {
                    server.close();
                } catch (IOException e) {
                    LOG.debug("Closing the listening socket of rank {} failed", rank, e);
                }
            }
        }
    }

    private static AuthenticatedChannel connectNext(int rank, int next, String address, JobSecret secret,
                                                    boolean frameMac, long deadline, Duration timeout) {
        SocketChannel channel = null;
        try {
            channel = SocketChannel.open();
            Socket socket = channel.socket();
            socket.connect(parse(address), millisLeft(deadline));
            socket.setTcpNoDelay(true);
            byte[] frameKey = Handshake.connect(socket, rank, next, secret, frameMac, deadline);
            socket.setSoTimeout(0);
            return new AuthenticatedChannel(channel, frameKey);
        } catch (CollectiveException e) {
            closeQuietly(channel);
            throw e;
        } catch (SocketTimeoutException e) {
            closeQuietly(channel);
            throw new CollectiveTimeoutException(next, address, "did not complete the connection within " + timeout);
        } catch (IOException e) {
            closeQuietly(channel);
            String hint = e instanceof java.io.EOFException
                    ? " (it dropped us during authentication: does it hold the same job secret?)" : "";
            throw new PeerFailedException(next, address, "could not connect: " + e + hint, e);
        }
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return worldSize;
    }

    @Override
    public void allReduce(FlatFloats buf, long offset, long length) {
        checkRange(buf, offset, length);
        run("all-reduce", () -> RingSchedule.reduceScatter(ShardRanges.even(offset, length, worldSize), rank, true),
                buf, config.reductionWire());
    }

    @Override
    public void allReduce(FlatFloats buf, ShardRanges ranges) {
        checkRanges(buf, ranges);
        run("all-reduce", () -> RingSchedule.reduceScatter(ranges, rank, true), buf, config.reductionWire());
    }

    @Override
    public void reduceScatter(FlatFloats buf, ShardRanges ranges) {
        checkRanges(buf, ranges);
        run("reduce-scatter", () -> RingSchedule.reduceScatter(ranges, rank, false), buf, config.reductionWire());
    }

    @Override
    public void allGather(FlatFloats buf, ShardRanges ranges) {
        checkRanges(buf, ranges);
        run("all-gather", () -> RingSchedule.allGather(ranges, rank), buf, WireFormat.FP32);
    }

    @Override
    public void broadcast(FlatFloats buf, long offset, long length, int root) {
        checkRange(buf, offset, length);
        if (root < 0 || root >= worldSize) {
            throw new IllegalArgumentException("broadcast root must be in [0, " + worldSize + "), got " + root);
        }
        run("broadcast", () -> RingSchedule.broadcast(offset, length, root, rank, worldSize), buf, WireFormat.FP32);
    }

    @Override
    public void barrier() {
        FlatFloats token = FlatFloats.wrap(new float[1]);
        run("barrier", () -> RingSchedule.reduceScatter(ShardRanges.even(0, 1, worldSize), rank, true), token, WireFormat.FP32);
    }

    private synchronized void run(String name, java.util.function.Supplier<RingSchedule> schedule, FlatFloats buf, WireFormat wire) {
        if (broken != null) {
            throw new CollectiveException("collective of rank " + rank + " is unusable after an earlier failure: "
                    + broken.getMessage(), broken);
        }
        if (closed) {
            throw new CollectiveException("collective of rank " + rank + " is closed");
        }
        if (links == null) {
            return; // a world of one: every collective is the identity
        }
        int op = ++seq;
        try {
            new RingTransfer(links, schedule.get(), buf, op, config.timeout(), wire).run();
        } catch (PeerFailedException e) {
            throw fail(e, e.peerRank(), e.reason());
        } catch (CollectiveException e) {
            throw fail(e, rank, e.getMessage());
        } catch (IOException | ClosedSelectorException | java.nio.channels.CancelledKeyException e) {
            CollectiveException wrapped = closed
                    ? new CollectiveException("collective of rank " + rank + " was closed during " + name + " #" + op, e)
                    : new CollectiveException("rank " + rank + " failed during " + name + " #" + op + ": " + e, e);
            throw fail(wrapped, rank, wrapped.getMessage());
        } catch (RuntimeException e) {
            throw fail(new CollectiveException("rank " + rank + " failed during " + name + " #" + op + ": " + e, e),
                    rank, e.toString());
        }
    }

    @Override
    public void abort(String reason) {
        if (broken != null || closed || links == null) return; // a failed ring has already told its neighbours
        fail(new CollectiveException("rank " + rank + " aborted: " + reason), rank, reason);
    }

    /** Tells both neighbours who failed, closes, and remembers the failure for later calls. */
    private CollectiveException fail(CollectiveException e, int culprit, String reason) {
        broken = e;
        LOG.error("Rank {} aborts the collective ring; culprit rank {}: {}", rank, culprit, reason);
        links.abort(culprit, reason, graceNanos());
        return e;
    }

    /** How long failure handling may wait on neighbours: short, they react within milliseconds if alive. */
    private long graceNanos() {
        return Math.min(config.timeout().toNanos(), Duration.ofSeconds(1).toNanos());
    }

    /** Closes the connections; after a failure, first lets the neighbours read the ABORT (bounded wait). */
    @Override
    public void close() {
        closed = true;
        if (links != null) {
            if (broken != null) {
                links.drainAndClose(graceNanos());
            } else {
                links.close();
            }
        }
    }

    private void checkRange(FlatFloats buf, long offset, long length) {
        if (offset < 0 || length < 0 || offset > buf.length() - length) {
            throw new IllegalArgumentException("range [" + offset + ", " + offset + " + " + length
                    + ") is outside a buffer of " + buf.length() + " floats");
        }
    }

    private void checkRanges(FlatFloats buf, ShardRanges ranges) {
        if (ranges.worldSize() != worldSize) {
            throw new IllegalArgumentException(ranges + " has " + ranges.worldSize() + " ranks, the world has "
                    + worldSize);
        }
        if (ranges.end() > buf.length()) {
            throw new IllegalArgumentException(ranges + " ends past a buffer of " + buf.length() + " floats");
        }
    }

    /**
     * The address peers should dial: the bind address itself, or for a wildcard bind this host's address, avoiding
     * the loopback address that {@code getLocalHost()} returns on many Linux hosts (127.0.1.1 in /etc/hosts).
     */
    static String advertisedHost(String bindAddress) throws IOException {
        InetAddress bind = InetAddress.getByName(bindAddress);
        if (!bind.isAnyLocalAddress()) {
            return bind.getHostAddress();
        }
        InetAddress local = InetAddress.getLocalHost();
        if (!local.isLoopbackAddress()) {
            return local.getHostAddress();
        }
        for (java.net.NetworkInterface nic : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (InetAddress address : java.util.Collections.list(nic.getInetAddresses())) {
                if (address instanceof java.net.Inet4Address && !address.isLinkLocalAddress()) {
                    return address.getHostAddress();
                }
            }
        }
        throw new CollectiveException("cannot tell peers where to reach this host: bound to " + bindAddress
                + " but it has no non-loopback IPv4 address; set the bind address explicitly");
    }

    static InetSocketAddress parse(String address) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            throw new CollectiveException("peer address '" + address + "' is not host:port");
        }
        String host = address.substring(0, colon).replace("[", "").replace("]", "");
        try {
            return new InetSocketAddress(host, Integer.parseInt(address.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new CollectiveException("peer address '" + address + "' is not host:port", e);
        }
    }

    private static int millisLeft(long deadline) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (deadline - System.nanoTime()) / 1_000_000));
    }

    /** Bounded: the interrupted acceptor returns as soon as its handshake threads end (each within the cap). */
    private static void joinQuietly(FutureTask<AuthenticatedChannel> task) {
        try {
            AuthenticatedChannel accepted = task.get(RingAcceptor.HANDSHAKE_CAP.toNanos() + JOIN_GRACE_NANOS,
                    TimeUnit.NANOSECONDS);
            closeQuietly(accepted.channel());
        } catch (ExecutionException e) {
            LOG.debug("Acceptor stopped after the connect side failed", e.getCause());
        } catch (TimeoutException e) {
            LOG.warn("Acceptor thread did not stop within {}", RingAcceptor.HANDSHAKE_CAP);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debug("Closing a failed connection", e);
            }
        }
    }
}
