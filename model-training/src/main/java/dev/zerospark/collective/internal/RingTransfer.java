package dev.zerospark.collective.internal;

import dev.zerospark.collective.CollectiveException;
import dev.zerospark.collective.CollectiveTimeoutException;
import dev.zerospark.collective.PeerFailedException;
import dev.zerospark.collective.WireFormat;
import dev.zerospark.flat.FlatFloats;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.time.Duration;

/**
 * Runs one {@link RingSchedule} over the links: a single-threaded event loop that writes frames to next and
 * reads frames from prev in whatever order the sockets allow, so sending and receiving overlap and frame j of a
 * dependent send leaves as soon as frame j of its source has arrived.
 *
 * <p>Liveness: a rank that waits inside the operation sends a KEEPALIVE frame every timeout/3, so only the rank
 * directly downstream of a stalled peer times out; it then aborts the ring naming that peer and every other rank
 * fails with the same culprit. Own keepalives do not count as progress, received bytes and data writes do.
 *
 * <p>Integrity: with the frame MAC on, every data and keepalive frame sent gets a {@link FrameMac} tag, and a
 * received frame counts as arrived (and may feed a dependent send) only once its tag checks out.
 */
final class RingTransfer {
    private final RingLinks links;
    private final RingSchedule schedule;
    private final FlatFloats buf;
    private final int seq;
    private final long timeoutNanos;
    private final Duration timeout;
    private final int frameFloats;
    /** Number format of the values in data frames; 16-bit formats also round every sum this rank computes. */
    private final WireFormat wire;

    private int sendSeg;
    private long sendFrame;
    private boolean writeBlocked;
    private boolean keepaliveInFlight;
    private int recvSeg;
    private long recvFrame;
    /** Floats still expected in the current receive frame; -1 while a header is expected. */
    private int recvInFrame = -1;
    private int recvFramePos;
    /** With the frame MAC on: the current receive frame's values are in, its tag is not yet checked. */
    private boolean recvTagPending;
    private long lastProgress;
    private long lastSend;

    RingTransfer(RingLinks links, RingSchedule schedule, FlatFloats buf, int seq, Duration timeout, WireFormat wire) {
        this.wire = wire;
        this.links = links;
        this.schedule = schedule;
        this.buf = buf;
        this.seq = seq;
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
        this.frameFloats = links.frameFloats;
    }

    void run() throws IOException {
        lastProgress = System.nanoTime();
        lastSend = lastProgress;
        long keepaliveNanos = Math.max(1_000_000, timeoutNanos / 3);
        while (true) {
            boolean progress = pumpSend();
            progress |= pumpReceive();
            if (sendsPending()) {
                checkBackChannel();
            }
            if (done()) {
                return;
            }
            long now = System.nanoTime();
            if (progress) {
                lastProgress = now;
                continue;
            }
            if (Thread.currentThread().isInterrupted()) {
                throw new CollectiveException("rank " + links.rank + " was interrupted inside a collective");
            }
            if (now - lastProgress > timeoutNanos) {
                throw timedOut();
            }
            if (!links.sendBuf.hasRemaining() && now - lastSend >= keepaliveNanos) {
                stageKeepalive();
                continue;
            }
            long wait = Math.min(lastProgress + timeoutNanos - now, lastSend + keepaliveNanos - now);
            links.prevKey.interestOps(recvSeg < schedule.receives.size() ? SelectionKey.OP_READ : 0);
            links.nextKey.interestOps((sendsPending() ? SelectionKey.OP_READ : 0)
                    | (writeBlocked ? SelectionKey.OP_WRITE : 0));
            links.selector.select(Math.max(1, wait / 1_000_000 + 1));
            links.selector.selectedKeys().clear();
        }
    }

    private boolean done() {
        return !sendsPending() && recvSeg == schedule.receives.size();
    }

    private boolean sendsPending() {
        return sendSeg < schedule.sends.size() || links.sendBuf.hasRemaining();
    }

    // ---- sending ------------------------------------------------------------------------------------------

    private boolean pumpSend() {
        ByteBuffer out = links.sendBuf;
        boolean progress = false;
        while (true) {
            if (out.hasRemaining()) {
                int written;
                try {
                    written = links.next.write(out);
                } catch (IOException e) {
                    // Next may have said why before it closed: prefer its ABORT over our broken pipe.
                    checkBackChannel();
                    throw failedNext("connection broke while sending: " + e.getMessage(), e);
                }
                if (written > 0) {
                    lastSend = System.nanoTime();
                    progress |= !keepaliveInFlight;
                }
                writeBlocked = out.hasRemaining();
                if (writeBlocked) {
                    return progress;
                }
                keepaliveInFlight = false;
            }
            if (!stageNextFrame()) {
                return progress;
            }
        }
    }

    private boolean stageNextFrame() {
        if (sendSeg >= schedule.sends.size()) {
            return false;
        }
        RingSchedule.Send seg = schedule.sends.get(sendSeg);
        int dep = seg.dependsOn();
        if (dep >= 0 && !(recvSeg > dep || (recvSeg == dep && recvFrame > sendFrame))) {
            return false;
        }
        int n = Wire.frameLength(seg.length(), sendFrame, frameFloats);
        ByteBuffer out = links.sendBuf;
        out.clear();
        out.putInt(n).putInt(seq);
        long from = Wire.frameStart(seg.offset(), sendFrame, frameFloats);
        if (wire == WireFormat.FP32) {
            buf.get(from, out.asFloatBuffer(), n);
        } else {
            // One frame of the buffer through the bounded staging array, whatever the buffer's size or backing.
            float[] f = links.scratch32;
            buf.get(from, f, 0, n);
            short[] s = links.scratch16;
            for (int i = 0; i < n; i++) s[i] = wire.encode(f[i]);
            out.position(Wire.HEADER_BYTES);
            out.asShortBuffer().put(s, 0, n); // one bulk copy into the direct buffer
        }
        out.position(Wire.HEADER_BYTES + wire.bytes() * n);
        appendTag(out);
        out.flip();
        if (++sendFrame == Wire.frames(seg.length(), frameFloats)) {
            sendSeg++;
            sendFrame = 0;
        }
        return true;
    }

    private void stageKeepalive() {
        links.sendBuf.clear();
        links.sendBuf.putInt(Wire.KEEPALIVE).putInt(seq);
        appendTag(links.sendBuf);
        links.sendBuf.flip();
        keepaliveInFlight = true;
    }

    /** With the frame MAC on, appends the tag of the frame staged in {@code out[0, position)}. */
    private void appendTag(ByteBuffer out) {
        FrameMac mac = links.sendMac;
        if (mac != null) {
            mac.begin();
            mac.update(out, 0, out.position());
            mac.finishInto(out);
        }
    }

    // ---- receiving ----------------------------------------------------------------------------------------

    private boolean pumpReceive() {
        ByteBuffer in = links.recvBuf;
        boolean progress = false;
        // A few buffer-fulls at most, then back to sending, so a fast upstream cannot starve our own sends.
        for (int reads = 0; ; reads++) {
            progress |= parse(in);
            if (recvSeg >= schedule.receives.size() || reads == 4) {
                return progress;
            }
            int read;
            in.compact();
            try {
                read = links.prev.read(in);
            } catch (IOException e) {
                throw failedPrev("connection broke while receiving: " + e.getMessage(), e);
            } finally {
                in.flip();
            }
            if (read < 0) {
                throw failedPrev("closed the connection in the middle of an operation", null);
            }
            if (read == 0) {
                return progress;
            }
            progress = true;
        }
    }

    private boolean parse(ByteBuffer in) {
        boolean progress = false;
        while (recvSeg < schedule.receives.size()) {
            RingSchedule.Receive seg = schedule.receives.get(recvSeg);
            if (recvTagPending) {
                if (in.remaining() < FrameMac.TAG_BYTES) {
                    return progress;
                }
                verifyTag(in);
                recvTagPending = false;
                progress = true;
                completeFrame(seg);
                continue;
            }
            if (recvInFrame < 0) {
                if (in.remaining() < Wire.HEADER_BYTES) {
                    return progress;
                }
                int count = in.getInt(in.position());
                int tag = in.getInt(in.position() + 4);
                if (count == Wire.KEEPALIVE) {
                    // A keepalive is checked as a whole: header and tag, or nothing yet.
                    if (links.recvMac != null && in.remaining() < Wire.HEADER_BYTES + FrameMac.TAG_BYTES) {
                        return progress;
                    }
                    startTag(in);
                    in.position(in.position() + Wire.HEADER_BYTES);
                    if (links.recvMac != null) {
                        verifyTag(in);
                    }
                    continue;
                }
                if (count == Wire.ABORT) {
                    PeerFailedException reported = links.parseAbort(in, links.prevRank);
                    if (reported == null) {
                        return progress;
                    }
                    throw reported;
                }
                int expected = Wire.frameLength(seg.length(), recvFrame, frameFloats);
                if (count != expected || tag != seq) {
                    throw failedPrev("protocol mismatch: expected a frame of " + expected + " floats of operation #"
                            + seq + ", got " + count + " floats of operation #" + tag
                            + " (all ranks must call the same collectives with the same sizes)", null);
                }
                startTag(in);
                in.position(in.position() + Wire.HEADER_BYTES);
                recvInFrame = count;
                recvFramePos = 0;
                progress = true;
                if (count == 0) {
                    endValues(seg);
                }
                continue;
            }
            int n = Math.min(recvInFrame, in.remaining() / wire.bytes());
            if (n == 0) {
                return progress;
            }
            long dst = Wire.frameStart(seg.offset(), recvFrame, frameFloats) + recvFramePos;
            int at = in.position();
            if (links.recvMac != null) {
                links.recvMac.update(in, at, at + wire.bytes() * n);
            }
            float[] f = links.scratch32;
            if (wire == WireFormat.FP32) {
                if (seg.add()) {
                    // A bulk copy out of the direct buffer, then an array loop the JIT turns into SIMD adds:
                    // faster than one getFloat per element.
                    in.asFloatBuffer().get(f, 0, n);
                    buf.add(dst, f, 0, n);
                } else {
                    buf.put(dst, in.asFloatBuffer(), n);
                }
            } else {
                short[] s = links.scratch16;
                in.asShortBuffer().get(s, 0, n);
                if (seg.add()) {
                    // The sum is rounded here, where it is made, so the owner's final value is exactly what it sends.
                    buf.get(dst, f, 0, n);
                    for (int i = 0; i < n; i++) {
                        f[i] = wire.round(f[i] + wire.decode(s[i]));
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        f[i] = wire.decode(s[i]);
                    }
                }
                buf.put(dst, f, 0, n);
            }
            in.position(at + wire.bytes() * n);
            recvInFrame -= n;
            recvFramePos += n;
            progress = true;
            if (recvInFrame == 0) {
                endValues(seg);
            }
        }
        return progress;
    }

    /** With the frame MAC on, starts the tag of the frame whose header is at {@code in}'s position. */
    private void startTag(ByteBuffer in) {
        FrameMac mac = links.recvMac;
        if (mac != null) {
            mac.begin();
            mac.update(in, in.position(), in.position() + Wire.HEADER_BYTES);
        }
    }

    /**
     * All values of the frame are in. With the MAC on the frame counts as received only once its tag checks out,
     * so nothing derived from it (a dependent send) leaves before that.
     */
    private void endValues(RingSchedule.Receive seg) {
        recvInFrame = -1;
        if (links.recvMac != null) {
            recvTagPending = true;
        } else {
            completeFrame(seg);
        }
    }

    private void verifyTag(ByteBuffer in) {
        long frame = links.recvMac.counter();
        if (!links.recvMac.finishAndVerify(in)) {
            throw failedPrev("frame " + frame + " of this connection (in operation #" + seq + ") failed its MAC"
                    + " check: it was altered, replayed or reordered on the way", null);
        }
    }

    private void completeFrame(RingSchedule.Receive seg) {
        if (++recvFrame == Wire.frames(seg.length(), frameFloats)) {
            recvSeg++;
            recvFrame = 0;
        }
    }

    /** The reverse direction of the next connection carries only ABORT frames, or EOF if next went away. */
    private void checkBackChannel() {
        ByteBuffer back = links.backBuf;
        back.compact();
        int read;
        IOException broken = null;
        try {
            read = links.next.read(back);
        } catch (IOException e) {
            read = -1;
            broken = e;
        } finally {
            back.flip();
        }
        if (back.remaining() >= Wire.HEADER_BYTES) {
            if (back.getInt(back.position()) != Wire.ABORT) {
                throw failedNext("sent data on the reverse direction of the ring", null);
            }
            PeerFailedException reported = links.parseAbort(back, links.nextRank);
            if (reported != null) {
                throw reported;
            }
        }
        if (broken != null) {
            throw failedNext("connection broke: " + broken.getMessage(), broken);
        }
        if (read < 0) {
            throw failedNext("closed the connection in the middle of an operation", null);
        }
    }

    // ---- failures -----------------------------------------------------------------------------------------

    private CollectiveTimeoutException timedOut() {
        // Blocked writing means next stopped reading; otherwise we are waiting for data (or keepalives) from prev.
        int peer = writeBlocked ? links.nextRank : links.prevRank;
        String what = writeBlocked ? "stopped reading" : "sent nothing";
        return new CollectiveTimeoutException(peer, links.address(peer), what + " for " + timeout
                + " (timeout) during collective operation #" + seq + " on rank " + links.rank);
    }

    private PeerFailedException failedNext(String message, Throwable cause) {
        return new PeerFailedException(links.nextRank, links.address(links.nextRank), message, cause);
    }

    private PeerFailedException failedPrev(String message, Throwable cause) {
        return new PeerFailedException(links.prevRank, links.address(links.prevRank), message, cause);
    }
}
