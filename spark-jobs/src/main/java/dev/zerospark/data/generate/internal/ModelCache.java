package dev.zerospark.data.generate.internal;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import dev.zerospark.config.ConfigException;
import dev.zerospark.generate.BatchGenerator;
import dev.zerospark.generate.GenerationOptions;
import dev.zerospark.generate.TextCompleter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one model an executor JVM holds: loaded once per (model_id, device, dtype) and shared by the JVM's concurrent tasks,
 * which lease it. Bounded to one model: a task asking for another waits until the current one has no lessee, then
 * closes it (freeing its NDManager's native memory) and loads its own.
 *
 * <p>Tasks generate on the shared model concurrently, without a lock ({@link Lease#generate}): a forward only reads
 * the weights, and everything a call writes is its own: its KV cache and per-step arrays live in sub-managers the call
 * opens and closes (DJL's managers keep their children in concurrent maps), grad mode is per thread in libtorch, and
 * the native tokenizer is thread-safe. Each task runs its forwards with its own cores ({@code spark.task.cpus} libtorch
 * threads, set by the task), so the executor's concurrent tasks together use its cores, as Spark schedules them.
 */
public final class ModelCache {
    private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);
    private static final Object LOCK = new Object();
    private static final AtomicInteger LOADS = new AtomicInteger();
    private static final AtomicLong LOAD_NANOS = new AtomicLong();
    /** Tasks of this JVM inside {@link Lease#generate(List, GenerationOptions, long, Function, int, int)} now. */
    private static final AtomicInteger GENERATING = new AtomicInteger();
    /** Guarded by {@link #LOCK}. */
    private static Entry current;

    private ModelCache() {}

    private static final class Entry {
        final String key;
        final TextCompleter completer;
        int lessees;

        Entry(String key, TextCompleter completer) {
            this.key = key;
            this.completer = completer;
        }
    }

    /** A task's hold on the cached model; closing it lets the model be evicted. */
    public static final class Lease implements AutoCloseable {
        private final Entry entry;
        private final boolean loaded;
        private boolean closed;

        private Lease(Entry entry, boolean loaded) {
            this.entry = entry;
            this.loaded = loaded;
        }

        /** Whether this lease loaded the model (a cache miss), for the task's timing log. */
        public boolean loaded() {
            return loaded;
        }

        public TextCompleter completer() {
            return entry.completer;
        }

        /**
         * Generates {@code rows} on the shared model; safe to call from several tasks at once (see the class doc).
         *
         * @param decoder turns new tokens into text for stop strings; may be null without stop strings
         */
        public List<BatchGenerator.Output> generate(List<BatchGenerator.Row> rows, GenerationOptions options, long batchTokens,
                                                    Function<int[], String> decoder) {
            return new BatchGenerator(entry.completer.model()).generate(rows, options, batchTokens, decoder);
        }

        /**
         * As {@link #generate(List, GenerationOptions, long, Function)} on the CPU, with the cores of tasks that have
         * finished passed on to those still generating: a task runs on its own {@code taskCpus} threads until some of the
         * JVM's tasks that generated alongside it have returned; then, before each batch, it takes its share of the
         * executor's cores, {@code executorCores / (tasks generating now)}. So a task left running alone at the end of a
         * stage (the others done first, or slowed by a busy machine) uses the idle cores instead of finishing on one
         * while the rest wait; tasks that start together never take more than their own. Back to {@code taskCpus} on
         * return. Same tokens either way.
         */
        public List<BatchGenerator.Output> generate(List<BatchGenerator.Row> rows, GenerationOptions options, long batchTokens,
                                                    Function<int[], String> decoder, int taskCpus, int executorCores) {
            BatchGenerator generator = new BatchGenerator(entry.completer.model());
            BatchGenerator.Output[] out = new BatchGenerator.Output[rows.size()];
            int peak = GENERATING.incrementAndGet();
            try {
                for (List<Integer> batch : BatchGenerator.plan(rows, options.maxNewTokens(), batchTokens)) {
                    int now = GENERATING.get();
                    peak = Math.max(peak, now);
                    int threads = now < peak ? threads(taskCpus, executorCores, now) : taskCpus;
                    if (JniUtils.getNumThreads() != threads) JniUtils.setNumThreads(threads);
                    List<BatchGenerator.Row> batchRows = batch.stream().map(rows::get).toList();
                    // One planned batch, planned again alone, is that same batch: its longest row is first and it fits.
                    List<BatchGenerator.Output> done = generator.generate(batchRows, options, batchTokens, decoder);
                    for (int k = 0; k < batch.size(); k++) out[batch.get(k)] = done.get(k);
                }
            } finally {
                GENERATING.decrementAndGet();
                if (JniUtils.getNumThreads() != taskCpus) JniUtils.setNumThreads(taskCpus);
            }
            return List.of(out);
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

    /** A generating task's libtorch threads: its share of the executor's cores, never fewer than its own. */
    static int threads(int taskCpus, int executorCores, int generating) {
        return Math.max(taskCpus, executorCores / Math.max(1, generating));
    }

    /**
     * Seconds this JVM has spent copying and loading models so far: a one-time cost per executor, which the benchmark
     * reports apart from the generation it precedes.
     */
    public static double loadSeconds() {
        return LOAD_NANOS.get() / 1e9;
    }

    /**
     * Refuses a dtype the model loader cannot produce, naming the option. The one place the dtype meets model
     * loading: {@link #acquire} calls it, and the driver calls it before launching tasks.
     */
    public static void checkDtype(String dtype) {
        if (!TextCompleter.FP32.equals(dtype) && !TextCompleter.BF16.equals(dtype)) {
            throw new ConfigException("generate.dtype", "--dtype " + dtype + " is not supported: use " + TextCompleter.FP32 + " or " + TextCompleter.BF16);
        }
    }

    /**
     * The model {@code modelId} on {@code device}, loaded from {@code localDir} (called only when loading) unless this
     * JVM holds it already. Blocks while another model is leased.
     */
    public static Lease acquire(String modelId, Device device, String dtype, Supplier<Path> localDir) throws InterruptedException {
        checkDtype(dtype);
        String key = modelId + "@" + device + "/" + dtype;
        synchronized (LOCK) {
            while (current != null && !current.key.equals(key) && current.lessees > 0) {
                LOCK.wait(); // woken by Lease.close
            }
            if (current != null && current.key.equals(key)) {
                current.lessees++;
                return new Lease(current, false);
            }
            if (current != null) {
                LOG.info("evicting model {} for {}", current.key, key);
                current.completer.close();
                current = null;
            }
            // Loading under the lock: the JVM's other tasks want this very model (or wait for it to be released anyway).
            long start = System.nanoTime();
            Path dir = localDir.get();
            try {
                current = new Entry(key, TextCompleter.open(dir, device, dtype));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load model " + modelId + " from " + dir, e);
            }
            LOADS.incrementAndGet();
            long took = System.nanoTime() - start;
            LOAD_NANOS.addAndGet(took);
            LOG.info("loaded model {} from {} on {} in {} in {} ms", modelId, dir, device, dtype, took / 1_000_000);
            current.lessees = 1;
            return new Lease(current, true);
        }
    }
}
