package dev.zerospark.openai.internal;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** How long to wait before a retry: exponential with jitter, or the server's {@code Retry-After} when that is longer. */
final class Backoff {
    private Backoff() {}

    /**
     * The wait after failed attempt {@code attempt} (1-based): {@code initial * 2^(attempt-1)}, capped at {@code max},
     * then a uniform draw between half and all of it, so clients that failed together do not retry together.
     */
    static long delayMillis(int attempt, Duration initial, Duration max, Long retryAfterMillis) {
        double base = Math.min((double) max.toMillis(), initial.toMillis() * Math.pow(2, attempt - 1));
        long jittered = (long) (base / 2 + ThreadLocalRandom.current().nextDouble() * base / 2);
        return retryAfterMillis == null ? jittered : Math.max(jittered, retryAfterMillis);
    }

    /** {@code Retry-After} in delta-seconds as milliseconds; null when absent or an HTTP date (then backoff applies). */
    static Long retryAfterMillis(String header) {
        if (header == null) return null;
        try {
            long seconds = Long.parseLong(header.strip());
            return seconds < 0 ? null : seconds * 1000;
        } catch (NumberFormatException e) {
            return null; // an HTTP-date: the computed backoff is used instead
        }
    }
}
