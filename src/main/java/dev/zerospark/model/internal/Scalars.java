package dev.zerospark.model.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A model's fp32 scalar constants (attention scale, norm eps, GELU coefficients, mask fill), each a 0-dim tensor
 * created once in the model's manager and kept until the model closes.
 *
 * <p>Why not plain Java numbers: DJL turns {@code x.mul(0.5f)} into {@code x.mul(manager.create(0.5f))} and closes
 * that temporary right after the op. The temporary is a {@code torch::from_blob} view of a Java direct buffer, and
 * autograd keeps a reference to it for backward; once the GC frees the buffer, backward reads freed memory and the
 * gradients become NaN or garbage. These constants are made by {@code torch::full} (memory owned by libtorch, so a
 * saved reference stays valid on its own) and also live as long as the model.
 *
 * <p>Pass a constant as the <em>second</em> operand ({@code x.mul(c.of(0.5f))}): DJL attaches a result to its first
 * operand's manager, and results must die with the caller's per-step manager, not pile up in the model's.
 */
public final class Scalars {
    private final NDManager manager;
    private final ConcurrentHashMap<Integer, NDArray> cache = new ConcurrentHashMap<>();

    /** {@code manager} is the model's (long-lived) manager; it owns and closes the constants. */
    public Scalars(NDManager manager) {
        this.manager = manager;
    }

    /** The 0-dim fp32 tensor holding {@code value}; the same array on every call. Never close it. */
    public NDArray of(float value) {
        return cache.computeIfAbsent(Float.floatToIntBits(value),
                bits -> manager.full(new Shape(), value, DataType.FLOAT32));
    }
}
