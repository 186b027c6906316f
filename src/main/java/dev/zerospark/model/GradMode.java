package dev.zerospark.model;

import ai.djl.pytorch.jni.JniUtils;

/**
 * A scope with libtorch's autograd turned on or off on this thread ({@code torch.enable_grad()} /
 * {@code torch.no_grad()}), restoring the thread's previous mode on close.
 *
 * <p>Grad mode is per thread in libtorch and on by default for threads it did not start (Spark's task threads, a
 * rank's own thread). Optimizer and bookkeeping code runs with it {@link #off}: an in-place copy from a weight that
 * requires grad would otherwise make its target a graph node, and repeated every step the nodes chain (one
 * CopySlices per copy). Freeing a chain of thousands recurses once per node on the native stack, which overflowed it
 * (SIGSEGV) when a 300-step run closed its optimizer. A training forward turns it {@link #on} whatever its caller's
 * mode.
 */
public final class GradMode implements AutoCloseable {
    private final boolean previous;

    private GradMode(boolean previous) {
        this.previous = previous;
    }

    /** Turns autograd off on this thread until {@link #close}. */
    public static GradMode off() {
        return set(false);
    }

    /** Turns autograd on on this thread until {@link #close}. */
    public static GradMode on() {
        return set(true);
    }

    private static GradMode set(boolean enabled) {
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(enabled);
        return new GradMode(previous);
    }

    @Override
    public void close() {
        JniUtils.setGradMode(previous);
    }
}
