package dev.zerospark.collective.internal;

import dev.zerospark.collective.PeerFailedException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The two authenticated, non-blocking connections of one rank (to its next and from its previous neighbour),
 * their selector and their direct buffers. Buffers outlive single operations: bytes of the next operation that
 * arrive early stay in {@link #recvBuf}.
 */
final class RingLinks {
    final int rank;
    final List<String> addresses;
    final int prevRank;
    final int nextRank;
    final SocketChannel prev;
    final SocketChannel next;
    final Selector selector;
    final SelectionKey prevKey;
    final SelectionKey nextKey;
    final int frameFloats;
    /** Staging for one frame of 16-bit values (bf16/fp16 reduction traffic). */
    final short[] scratch16;
    /** Staging for one frame of incoming float32 partial sums. */
    final float[] scratch32;
    /** Outgoing frame; kept in read mode (position..limit = bytes still to write). */
    final ByteBuffer sendBuf;
    /** Incoming bytes from prev; kept in read mode (position..limit = bytes not yet parsed). */
    final ByteBuffer recvBuf;
    /** Incoming bytes on the reverse direction of the next connection (only ABORT frames), read mode. */
    final ByteBuffer backBuf;
    /** Tags of the frames sent to next, and checks of those received from prev; both null with the MAC off. */
    final FrameMac sendMac;
    final FrameMac recvMac;

    private RingLinks(int rank, List<String> addresses, SocketChannel prev, SocketChannel next, int frameFloats,
                      Selector selector, SelectionKey prevKey, SelectionKey nextKey, ByteBuffer sendBuf,
                      ByteBuffer recvBuf, ByteBuffer backBuf, FrameMac sendMac, FrameMac recvMac) {
        int n = addresses.size();
        this.rank = rank;
        this.addresses = addresses;
        this.prevRank = Math.floorMod(rank - 1, n);
        this.nextRank = Math.floorMod(rank + 1, n);
        this.prev = prev;
        this.next = next;
        this.frameFloats = frameFloats;
        this.scratch16 = new short[frameFloats];
        this.scratch32 = new float[frameFloats];
        this.selector = selector;
        this.prevKey = prevKey;
        this.nextKey = nextKey;
        this.sendBuf = sendBuf;
        this.recvBuf = recvBuf;
        this.backBuf = backBuf;
        this.sendMac = sendMac;
        this.recvMac = recvMac;
    }

    /**
     * Switches both authenticated channels to non-blocking mode and allocates the frame buffers. With frame keys
     * (null for none) data and keepalive frames carry a MAC tag.
     */
    static RingLinks open(int rank, List<String> addresses, SocketChannel prev, SocketChannel next, int chunkBytes,
                          byte[] prevFrameKey, byte[] nextFrameKey) throws IOException {
        prev.configureBlocking(false);
        next.configureBlocking(false);
        Selector selector = Selector.open();
        SelectionKey prevKey = prev.register(selector, 0);
        SelectionKey nextKey = next.register(selector, 0);
        int controlBytes = Wire.HEADER_BYTES + 4 + Wire.MAX_ABORT_MESSAGE_BYTES;
        int frameBytes = Math.max(Wire.HEADER_BYTES + chunkBytes + FrameMac.TAG_BYTES, controlBytes);
        ByteBuffer sendBuf = ByteBuffer.allocateDirect(frameBytes).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer recvBuf = ByteBuffer.allocateDirect(frameBytes).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer backBuf = ByteBuffer.allocateDirect(controlBytes).order(ByteOrder.LITTLE_ENDIAN);
        sendBuf.limit(0);
        recvBuf.limit(0);
        backBuf.limit(0);
        return new RingLinks(rank, addresses, prev, next, chunkBytes / 4, selector, prevKey, nextKey, sendBuf,
                recvBuf, backBuf, nextFrameKey == null ? null : FrameMac.keyed(nextFrameKey),
                prevFrameKey == null ? null : FrameMac.keyed(prevFrameKey));
    }

    String address(int peer) {
        return addresses.get(peer);
    }

    /**
     * Tries to parse an ABORT frame at the head of {@code buf} (read mode). Returns the exception it reports,
     * or null if the frame is not complete yet.
     */
    PeerFailedException parseAbort(ByteBuffer buf, int reporter) {
        int at = buf.position();
        if (buf.remaining() < Wire.HEADER_BYTES + 4) {
            return null;
        }
        int culprit = buf.getInt(at + 4);
        int length = buf.getInt(at + 8);
        if (length < 0 || length > Wire.MAX_ABORT_MESSAGE_BYTES || culprit < 0 || culprit >= addresses.size()) {
            return new PeerFailedException(reporter, address(reporter),
                    "sent a malformed abort frame (culprit " + culprit + ", " + length + " bytes)", null);
        }
        if (buf.remaining() < Wire.HEADER_BYTES + 4 + length) {
            return null;
        }
        byte[] text = new byte[length];
        buf.get(at + Wire.HEADER_BYTES + 4, text);
        buf.position(at + Wire.HEADER_BYTES + 4 + length);
        String message = new String(text, StandardCharsets.UTF_8);
        String via = culprit == reporter ? "" : " (reported by rank " + reporter + ")";
        return new PeerFailedException(culprit, address(culprit), message + via, null);
    }

    /**
     * Best effort, bounded by {@code graceNanos}: finishes the frame being written to next (so the receiver's
     * parser stays in step), sends an ABORT frame naming {@code culprit} both ways, and half-closes both
     * connections. The sockets stay open for reading until {@link #drainAndClose(long)}.
     */
    void abort(int culprit, String message, long graceNanos) {
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        int length = Math.min(text.length, Wire.MAX_ABORT_MESSAGE_BYTES);
        long deadline = System.nanoTime() + graceNanos;
        // Each step is best effort on its own: a dead next must not stop us from telling prev, and vice versa.
        try {
            if (next.isOpen() && flush(next, nextKey, sendBuf, deadline)) {
                sendBuf.clear();
                sendBuf.putInt(Wire.ABORT).putInt(culprit).putInt(length).put(text, 0, length).flip();
                flush(next, nextKey, sendBuf, deadline);
            }
        } catch (IOException | RuntimeException e) {
            // Next is gone too; it needs no message.
        }
        try {
            if (prev.isOpen()) {
                ByteBuffer back = ByteBuffer.allocate(Wire.HEADER_BYTES + 4 + length).order(ByteOrder.LITTLE_ENDIAN);
                back.putInt(Wire.ABORT).putInt(culprit).putInt(length).put(text, 0, length).flip();
                flush(prev, prevKey, back, deadline);
            }
        } catch (IOException | RuntimeException e) {
            // Prev is gone too; it needs no message.
        }
        shutdownOutput(prev);
        shutdownOutput(next);
    }

    /** After {@link #abort}: keeps reading until both neighbours closed or {@code graceNanos} passed, then closes. */
    void drainAndClose(long graceNanos) {
        try {
            drainUntilClosed(System.nanoTime() + graceNanos);
        } catch (IOException | RuntimeException e) {
            // Nothing left to protect; close below.
        } finally {
            close();
        }
    }

    /**
     * Closing a socket with unread input makes the kernel send RST, and a RST can destroy our ABORT frame before
     * the neighbour reads it (it would then blame us instead of the culprit). So: read and drop whatever the
     * neighbours still send until they close too (they do as soon as they read the ABORT).
     */
    private void drainUntilClosed(long deadline) throws IOException {
        ByteBuffer sink = ByteBuffer.allocate(64 << 10);
        boolean prevOpen = prev.isOpen();
        boolean nextOpen = next.isOpen();
        while ((prevOpen || nextOpen) && deadline - System.nanoTime() > 0) {
            prevOpen = prevOpen && drain(prev, sink);
            nextOpen = nextOpen && drain(next, sink);
            prevKey.interestOps(prevOpen ? SelectionKey.OP_READ : 0);
            nextKey.interestOps(nextOpen ? SelectionKey.OP_READ : 0);
            if (prevOpen || nextOpen) {
                selector.select(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                selector.selectedKeys().clear();
            }
        }
    }

    private static boolean shutdownOutput(SocketChannel channel) {
        try {
            channel.shutdownOutput();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Reads and drops what is available; false once the other side has closed. */
    private static boolean drain(SocketChannel channel, ByteBuffer sink) {
        try {
            int read;
            do {
                sink.clear();
                read = channel.read(sink);
            } while (read > 0);
            return read == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private boolean flush(SocketChannel channel, SelectionKey key, ByteBuffer buf, long deadline) throws IOException {
        while (buf.hasRemaining()) {
            if (channel.write(buf) > 0) {
                continue;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            key.interestOps(SelectionKey.OP_WRITE);
            selector.select(Math.max(1, left / 1_000_000));
            selector.selectedKeys().clear();
        }
        return true;
    }

    void close() {
        closeQuietly(selector);
        closeQuietly(prev);
        closeQuietly(next);
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // Closing a socket that is already broken; nothing further to release.
        }
    }
}
