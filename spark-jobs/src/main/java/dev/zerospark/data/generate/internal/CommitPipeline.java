package dev.zerospark.data.generate.internal;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A single-slot pipeline for {@code generate}'s chunk commits: the commit of chunk c (a Delta MERGE: seconds of
 * driver work, log reads and small jobs) runs on one background thread while the caller generates chunk c+1. At most
 * one commit is in flight: {@link #submit} and {@link #close} first join the previous one, so chunks commit in
 * order, and a commit's failure reaches the caller at the next submit or at close.
 */
public final class CommitPipeline implements AutoCloseable {
    private final ExecutorService thread;
    private Future<Long> pending;
    private long total;

    private CommitPipeline(ExecutorService thread) {
        this.thread = thread;
    }

    public static CommitPipeline start() {
        return new CommitPipeline(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "zs-generate-commit");
            t.setDaemon(true); // never keeps a JVM alive: close() joins it on every path that returns
            return t;
        }));
    }

    /** Joins the commit in flight, then starts {@code commit}, which returns the rows it wrote. */
    public void submit(Callable<Long> commit) {
        join();
        pending = thread.submit(commit);
    }

    /** Joins the commit in flight, if any. */
    public void join() {
        if (pending == null) return;
        Future<Long> f = pending;
        pending = null;
        try {
            total += f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a chunk's commit", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException("a chunk's commit failed", e.getCause());
        }
    }

    /** The rows written by the commits joined so far. */
    public long total() {
        return total;
    }

    @Override
    public void close() {
        try {
            join();
        } finally {
            thread.shutdown();
        }
    }
}
