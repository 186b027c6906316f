package dev.zerospark.collective.internal;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;

/**
 * HMAC-SHA256 of the frames one direction of a ring connection carries, keyed by the connection's frame key (see
 * {@link Handshake}). Each tag covers a frame counter that both ends keep without sending it, then the frame's
 * header and values: a frame that was altered, dropped, replayed or reordered fails the check.
 */
final class FrameMac {
    static final int TAG_BYTES = 32;
    private final Mac mac;
    /** Staging for bytes out of direct buffers: Mac's own path for those allocates on every call. */
    private final byte[] scratch = new byte[64 << 10];
    private final byte[] counterBytes = new byte[8];
    private final byte[] tag = new byte[TAG_BYTES];
    private long counter;

    private FrameMac(Mac mac) {
        this.mac = mac;
    }

    static FrameMac keyed(byte[] key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return new FrameMac(mac);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    /** Number of the frame being authenticated (from 0), for error messages. */
    long counter() {
        return counter;
    }

    /** Starts the next frame's tag. */
    void begin() {
        for (int i = 0; i < 8; i++) {
            counterBytes[i] = (byte) (counter >>> (56 - 8 * i));
        }
        mac.update(counterBytes);
    }

    /** Adds {@code buf[from, to)} (absolute positions; the buffer's position is not moved). */
    void update(ByteBuffer buf, int from, int to) {
        for (int at = from; at < to; ) {
            int n = Math.min(scratch.length, to - at);
            buf.get(at, scratch, 0, n);
            mac.update(scratch, 0, n);
            at += n;
        }
    }

    /** Ends the frame: writes its tag at {@code buf}'s position and advances it. */
    void finishInto(ByteBuffer buf) {
        finish();
        buf.put(tag);
    }

    /** Ends the frame: true if the tag at {@code buf}'s position matches (the position moves past it). */
    boolean finishAndVerify(ByteBuffer buf) {
        finish();
        byte[] received = new byte[TAG_BYTES];
        buf.get(received);
        return MessageDigest.isEqual(tag, received);
    }

    private void finish() {
        try {
            mac.doFinal(tag, 0);
        } catch (javax.crypto.ShortBufferException e) {
            throw new IllegalStateException("tag buffer too small", e);
        }
        counter++;
    }
}
