package dev.zerospark.data.generate.internal;

import ai.djl.Device;
import dev.zerospark.config.ConfigException;
import dev.zerospark.generate.TextCompleter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one model an executor JVM holds: loaded once per (model_id, device) and shared by the JVM's concurrent tasks,
 * which lease it. Bounded to one model: a task asking for another waits until the current one has no lessee, then
 * closes it (freeing its NDManager's native memory) and loads its own.
 *
 * <p>Generation on a shared model is serialized by the entry's lock (see {@link Lease#generating}): the model's
 * forward is stateless, but PyTorch already spreads one forward over the cores, and two concurrent batches on one
 * CPU only compete for them (on a GPU they would compete for its memory). Tokenizing runs outside that lock: the
 * native tokenizer is thread-safe.
 */
public final class ModelCache {
    private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);
    private static final Object LOCK = new Object();
    private static final AtomicInteger LOADS = new AtomicInteger();
    /** Guarded by {@link #LOCK}. */
    private static Entry current;

    private ModelCache() {}

    private static final class Entry {
        final String key;
        final TextCompleter completer;
        final ReentrantLock generating = new ReentrantLock();
        int lessees;

        Entry(String key, TextCompleter completer) {
            this.key = key;
            this.completer = completer;
        }
    }

    /** A task's hold on the cached model; closing it lets the model be evicted. */
    public static final class Lease implements AutoCloseable {
        private final Entry entry;
        private boolean closed;

        private Lease(Entry entry) {
            this.entry = entry;
        }

        public TextCompleter completer() {
            return entry.completer;
        }

        /** Held around each generate call on the shared model. */
        public ReentrantLock generating() {
            return entry.generating;
        }

        @Override
        public void close() {
            synchronized (LOCK) {
                if (closed) return;
                closed = true;
                entry.lessees--;
                LOCK.notifyAll();
            }
        }
    }

    /** Models this JVM has loaded so far (the executor-side count tests read). */
    public static int loads() {
        return LOADS.get();
    }

    /**
     * Refuses a dtype the model loader cannot produce yet, naming the option. The one place the dtype meets model
     * loading: {@link #acquire} calls it, and the driver calls it before launching tasks.
     */
    public static void checkDtype(String dtype) {
        if (!"fp32".equals(dtype)) {
            throw new ConfigException("generate.dtype", "--dtype " + dtype + " is not supported yet: models load upcast to fp32 (use --dtype fp32)");
        }
    }

    /**
     * The model {@code modelId} on {@code device}, loaded from {@code localDir} (called only when loading) unless this
     * JVM holds it already. Blocks while another model is leased.
     */
    public static Lease acquire(String modelId, Device device, String dtype, Supplier<Path> localDir) throws InterruptedException {
        checkDtype(dtype);
        String key = modelId + "@" + device;
        synchronized (LOCK) {
            while (current != null && !current.key.equals(key) && current.lessees > 0) {
                LOCK.wait(); // woken by Lease.close
            }
            if (current != null && current.key.equals(key)) {
                current.lessees++;
                return new Lease(current);
            }
            if (current != null) {
                LOG.info("evicting model {} for {}", current.key, key);
                current.completer.close();
                current = null;
            }
            // Loading under the lock: the JVM's other tasks want this very model (or wait for it to be released anyway).
            Path dir = localDir.get();
            try {
                current = new Entry(key, TextCompleter.open(dir, device));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load model " + modelId + " from " + dir, e);
            }
            LOADS.incrementAndGet();
            LOG.info("loaded model {} from {} on {}", modelId, dir, device);
            current.lessees = 1;
            return new Lease(current);
        }
    }
}
