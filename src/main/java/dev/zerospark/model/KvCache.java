package dev.zerospark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Per-layer keys and values of the tokens seen so far, (B, H_kv, S, D) each. With a capacity, every layer's buffers
 * are allocated once, (B, H_kv, capacity, D), on the first append, and each step's k/v are written in place, so a
 * decode step copies only its own token instead of the whole cache (concatenating is O(S) per token, O(S²) per
 * sequence). Without a capacity, or past it, the buffers grow by doubling. The arrays live in the cache's own
 * manager, so per-step sub-managers can be closed without losing the cache.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int capacity;
    private int length;

    /** Takes ownership of {@code manager}; buffers start at the first append's length and grow on demand. */
    public KvCache(NDManager manager, int numLayers) {
        this(manager, numLayers, 0);
    }

    /**
     * Takes ownership of {@code manager}.
     *
     * @param capacity positions to preallocate per layer (prompt + new tokens); 0 to size by the first append
     */
    public KvCache(NDManager manager, int numLayers, int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("KV cache capacity must be >= 0, got " + capacity);
        }
        this.manager = manager;
        this.keys = new NDArray[numLayers];
        this.values = new NDArray[numLayers];
        this.capacity = capacity;
    }

    /** Number of cached positions (S) before the current forward call's tokens are appended. */
    public int length() {
        return length;
    }

    /** Rows (B) currently cached, or 0 before the first append. */
    public long batchSize() {
        return keys[0] == null ? 0 : keys[0].getShape().get(0);
    }

    /** Positions allocated per layer (the buffers' S axis), 0 before the first append. */
    public long allocated() {
        return keys[0] == null ? 0 : keys[0].getShape().get(2);
    }

    /**
     * Writes this step's k, v (B, H_kv, T, D) for {@code layer} after the {@link #length()} cached positions and
     * returns views of the filled prefix, (B, H_kv, S + T, D). The views are attached to {@code k}'s manager (the
     * caller's step); the storage they share belongs to the cache.
     */
    public NDArray[] append(int layer, NDArray k, NDArray v) {
        long t = k.getShape().get(2);
        long end = length + t;
        keys[layer] = ensure(keys[layer], k, end);
        values[layer] = ensure(values[layer], v, end);
        NDIndex slot = new NDIndex(":, :, {}:{}", length, end);
        keys[layer].set(slot, k);
        values[layer].set(slot, v);
        NDArray kView = JniUtils.slice((PtNDArray) keys[layer], 2, 0, end, 1); // a view, no copy
        NDArray vView = JniUtils.slice((PtNDArray) values[layer], 2, 0, end, 1);
        kView.attach(k.getManager());
        vView.attach(k.getManager());
        return new NDArray[] {kView, vView};
    }

    /** A buffer shaped like {@code like} with room for {@code needed} positions, keeping {@code old}'s prefix. */
    private NDArray ensure(NDArray old, NDArray like, long needed) {
        if (old != null && old.getShape().get(2) >= needed) {
            return old;
        }
        long size = Math.max(needed, old == null ? capacity : 2 * old.getShape().get(2));
        Shape s = like.getShape();
        Shape shape = new Shape(s.get(0), s.get(1), size, s.get(3));
        // bf16 cannot be named through DJL's JNI (see Bf16)
        NDArray buf = Bf16.is(like) ? Bf16.zeros(manager, shape, like.getDevice()) : manager.zeros(shape, like.getDataType(), like.getDevice());
        if (old != null) {
            try (NDArray filled = old.get(new NDIndex(":, :, :{}", length))) {
                buf.set(new NDIndex(":, :, :{}", length), filled);
            }
            old.close();
        }
        return buf;
    }

    /**
     * Keeps only the given batch rows, in that order (index-select on B), so rows that finished stop costing
     * attention compute; {@code rows} holds indices into the current batch.
     */
    public void keepRows(long[] rows) {
        if (keys[0] == null) {
            return;
        }
        try (NDManager step = manager.newSubManager()) {
            NDArray index = step.create(rows);
            for (int l = 0; l < keys.length; l++) {
                keys[l] = select(keys[l], index);
                values[l] = select(values[l], index);
            }
        }
    }

    private NDArray select(NDArray buf, NDArray index) {
        NDArray kept = buf.get(index);
        kept.attach(manager);
        buf.close();
        return kept;
    }

    /** Called by the model after all layers appended, so {@link #length()} covers the new tokens. */
    public void advance(int tokens) {
        length += tokens;
    }

    @Override
    public void close() {
        manager.close();
    }
}
