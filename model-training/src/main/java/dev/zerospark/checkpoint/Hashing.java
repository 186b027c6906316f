package dev.zerospark.checkpoint;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The threads that hash checkpoint chunks off the writing and reading threads, so the sha256 of some chunks overlaps
 * the I/O of the next, and several chunks hash at once (sha256 runs at ~1.2 GB/s a core here, slower than a read
 * from the page cache). Writers hash every chunk here (its CRC32C and the sha256 the file's content id is built
 * from); readers only for manifests that recorded chunk sha256s, as CRC32C is verified on the reading thread. Daemon threads, one per core, shared by every checkpoint file of the JVM (ranks running as
 * threads share them); each stream keeps at most {@link #DEPTH} chunks in flight, so the queue stays short.
 */
final class Hashing {
    /** Chunks a stream keeps in flight (each a chunk-sized buffer): enough to keep up to 4 cores hashing. */
    static final int DEPTH = Math.min(4, Math.max(2, Runtime.getRuntime().availableProcessors()));

    private Hashing() {}

    /** Created on first use, not when the class loads for a manifest check. */
    private static final class Pool {
        static final ExecutorService THREADS = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
            Thread t = new Thread(r, "checkpoint-sha256");
            t.setDaemon(true);
            return t;
        });
    }

    /** A new SHA-256 digest (what every checkpoint checksum is). */
    static java.security.MessageDigest digest() {
        try {
            return java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Runs {@code task} (hashing a buffer that must not change until it is done) on a hashing thread. */
    static <T> Future<T> submit(java.util.concurrent.Callable<T> task) {
        return Pool.THREADS.submit(task);
    }

    /** The sha256 of {@code b[off, off + len)}. */
    static byte[] sha256(byte[] b, int off, int len) {
        java.security.MessageDigest sha = digest();
        sha.update(b, off, len);
        return sha.digest();
    }
}
