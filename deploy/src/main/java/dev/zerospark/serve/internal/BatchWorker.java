package dev.zerospark.serve.internal;

import dev.zerospark.generate.GenerationOptions;
import dev.zerospark.generate.TextCompleter.Completion;
import dev.zerospark.serve.BatchModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that runs the model. It takes what is waiting (up to the batch size) and runs requests with equal
 * options as one left-padded batch: greedy rows do not depend on their batch mates, so batching changes no answer.
 * A sampled request runs alone, because the sampler draws from one seeded stream for the whole batch and its
 * {@code seed} must give the same text whoever else is waiting.
 */
final class BatchWorker {
    private static final Logger LOG = LoggerFactory.getLogger(BatchWorker.class);

    record Job(String prompt, GenerationOptions options, Object batchKey, CompletableFuture<Completion> result) {}

    /** Put last by {@link #close()}: the worker stops after the jobs ahead of it. */
    private static final Job STOP = new Job(null, null, null, null);

    private final BatchModel model;
    private final int maxBatch;
    private final int queueSize;
    /** Unbounded so that {@link #STOP} always fits; admission checks {@code queueSize} under {@link #admission}. */
    private final BlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final Object admission = new Object();
    private final AtomicLong batches = new AtomicLong();
    private final Thread thread;
    private boolean closing;

    BatchWorker(BatchModel model, int maxBatch, int queueSize) {
        this.model = model;
        this.maxBatch = maxBatch;
        this.queueSize = queueSize;
        this.thread = new Thread(this::loop, "serve-model");
    }

    void start() {
        thread.start();
    }

    /** Queues a prompt; {@link ApiError#queueFull} when {@code queueSize} are waiting, 503 once closing. */
    CompletableFuture<Completion> submit(String prompt, GenerationOptions options, boolean sampled) {
        Job job = new Job(prompt, options, sampled ? new Object() : options, new CompletableFuture<>());
        synchronized (admission) {
            if (closing) throw ApiError.shuttingDown();
            if (queue.size() >= queueSize) throw ApiError.queueFull(queueSize);
            queue.add(job);
        }
        return job.result();
    }

    long batches() {
        return batches.get();
    }

    int queued() {
        return (int) queue.stream().filter(j -> j != STOP).count();
    }

    /** Refuses new jobs, lets the queued ones run, and waits for the thread to end. */
    void close() throws InterruptedException {
        synchronized (admission) {
            if (!closing) {
                closing = true;
                queue.add(STOP);
            }
        }
        thread.join();
    }

    private void loop() {
        boolean stop = false;
        while (!stop) {
            List<Job> taken = new ArrayList<>();
            try {
                taken.add(queue.take());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                LOG.warn("model thread interrupted; {} queued requests fail", queue.size());
                failAll(new IllegalStateException("the model thread was interrupted"));
                return;
            }
            queue.drainTo(taken, maxBatch - 1);
            if (taken.get(taken.size() - 1) == STOP) {
                taken.remove(taken.size() - 1); // STOP is always last: nothing is admitted after it
                stop = true;
            }
            Map<Object, List<Job>> groups = new LinkedHashMap<>();
            for (Job j : taken) groups.computeIfAbsent(j.batchKey(), k -> new ArrayList<>()).add(j);
            groups.values().forEach(this::run);
        }
    }

    private void run(List<Job> group) {
        List<String> prompts = group.stream().map(Job::prompt).toList();
        long start = System.nanoTime();
        try {
            List<Completion> done = model.complete(prompts, group.get(0).options());
            batches.incrementAndGet();
            LOG.debug("batch of {} in {} ms", group.size(), (System.nanoTime() - start) / 1_000_000);
            for (int i = 0; i < group.size(); i++) group.get(i).result().complete(done.get(i));
        } catch (RuntimeException e) {
            batches.incrementAndGet();
            LOG.error("a batch of {} failed: {}", group.size(), e.getMessage(), e);
            for (Job j : group) j.result().completeExceptionally(ApiError.modelFailed(e));
        }
    }

    private void failAll(RuntimeException e) {
        List<Job> left = new ArrayList<>();
        queue.drainTo(left);
        for (Job j : left) if (j != STOP) j.result().completeExceptionally(ApiError.modelFailed(e));
    }
}
