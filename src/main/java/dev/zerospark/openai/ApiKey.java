package dev.zerospark.openai;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * An API key held so that it cannot leak by accident: {@link #toString()} never shows it (records that hold one
 * print {@code ApiKey[redacted]}), it is not {@link java.io.Serializable} (so Spark cannot ship it inside a closure:
 * executors read it from their own environment), and {@link #redact} scrubs it from text a server sends back.
 */
public final class ApiKey {
    private final String value;

    private ApiKey(String value) {
        this.value = value;
    }

    /** A key given as a value; blank is refused. */
    public static ApiKey of(String value) {
        if (value == null || value.isBlank()) throw new IllegalArgumentException("the API key is empty");
        return new ApiKey(value);
    }

    /** The key in environment variable {@code variable}; fails naming the variable (never a value) when unset or blank. */
    public static ApiKey fromEnv(String variable) {
        String v = System.getenv(variable);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("environment variable " + variable + " holding the API key is " + (v == null ? "not set" : "empty"));
        }
        return new ApiKey(v);
    }

    /** The {@code Authorization} header value. Only the HTTP layer calls this. */
    public String bearerHeader() {
        return "Bearer " + value;
    }

    /** Whether an {@code Authorization} header carries this key, compared in constant time. */
    public boolean matchesBearer(String header) {
        if (header == null || !header.startsWith("Bearer ")) return false;
        byte[] given = header.substring("Bearer ".length()).strip().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, value.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code text} with every occurrence of the key replaced, for server messages that echo what they were sent. */
    public String redact(String text) {
        return text == null ? null : text.replace(value, "[redacted]");
    }

    @Override
    public String toString() {
        return "ApiKey[redacted]";
    }
}
