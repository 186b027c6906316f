package dev.zerospark.openai.internal;

import java.util.concurrent.TimeUnit;

/**
 * Spaces attempts evenly at {@code perMinute}: each caller reserves the next free slot and waits for it, so a burst
 * of callers goes out one interval apart rather than all at once and then nothing for a minute.
 */
final class RateLimiter {
    private final long intervalNanos;
    private long nextSlot;

    RateLimiter(int perMinute) {
        this.intervalNanos = perMinute == 0 ? 0 : TimeUnit.MINUTES.toNanos(1) / perMinute;
        this.nextSlot = System.nanoTime();
    }

    void acquire() throws InterruptedException {
        if (intervalNanos == 0) return;
        long slot;
        synchronized (this) {
            slot = Math.max(System.nanoTime(), nextSlot);
            nextSlot = slot + intervalNanos;
        }
        long wait = slot - System.nanoTime();
        if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
    }
}
