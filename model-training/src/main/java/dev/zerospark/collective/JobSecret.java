package dev.zerospark.collective;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * The per-job secret every rank proves it holds (HMAC-SHA256 challenge-response) before joining the ring. The
 * driver creates it and ships it to the tasks; {@link #toString()} never shows it.
 */
public final class JobSecret {
    private static final int BYTES = 32;
    private final byte[] key;

    private JobSecret(byte[] key) {
        this.key = key;
    }

    public static JobSecret random() {
        byte[] key = new byte[BYTES];
        new SecureRandom().nextBytes(key);
        return new JobSecret(key);
    }

    public static JobSecret fromBase64(String encoded) {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("job secret is not valid base64", e);
        }
        if (key.length < 16) {
            throw new IllegalArgumentException("job secret must have >= 16 bytes, got " + key.length);
        }
        return new JobSecret(key);
    }

    public String toBase64() {
        return Base64.getEncoder().encodeToString(key);
    }

    /** A copy of the key bytes. */
    public byte[] key() {
        return key.clone();
    }

    @Override
    public String toString() {
        return "JobSecret[redacted]";
    }
}
