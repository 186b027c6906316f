package dev.zerospark.model;

import ai.djl.pytorch.jni.JniUtils;

/**
 * A scope with libtorch's autograd off on this thread (torch.no_grad()), restoring the thread's previous mode on close.
 *
 * <p>Grad mode is per thread in libtorch and on by default for threads it did not start (Spark's task threads, a
 * rank's own thread). Optimizer and bookkeeping code runs in this scope: an in-place copy from a weight that requires
 * grad would otherwise make its target a graph node, and repeated every step the nodes chain (one CopySlices per
 * copy). Freeing a chain of thousands recurses once per node on the native stack, which overflowed it (SIGSEGV) when
 * a 300-step run closed its optimizer.
 */
public final class NoGrad implements AutoCloseable {
    private final boolean previous;

    private NoGrad(boolean previous) {
        this.previous = previous;
    }

    /** Turns autograd off on this thread until {@link #close}. */
    public static NoGrad enter() {
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        return new NoGrad(previous);
    }

    @Override
    public void close() {
        JniUtils.setGradMode(previous);
    }
}
