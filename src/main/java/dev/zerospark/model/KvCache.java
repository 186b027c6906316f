package dev.zerospark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Per-layer keys and values of the tokens seen so far, each (B, H_kv, S, D). The arrays live in the cache's own
 * manager, so per-step sub-managers can be closed without losing the cache.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private int length;

    /** Takes ownership of {@code manager}. */
    public KvCache(NDManager manager, int numLayers) {
        this.manager = manager;
        this.keys = new NDArray[numLayers];
        this.values = new NDArray[numLayers];
    }

    /** Number of cached positions (S) before the current forward call's tokens are appended. */
    public int length() {
        return length;
    }

    /**
     * Appends this step's k, v (B, H_kv, T, D) for {@code layer} and returns the full (B, H_kv, S + T, D) pair.
     * The returned arrays belong to the cache; callers must not close them.
     */
    public NDArray[] append(int layer, NDArray k, NDArray v) {
        NDArray newK = keys[layer] == null ? k.duplicate() : keys[layer].concat(k, 2);
        NDArray newV = values[layer] == null ? v.duplicate() : values[layer].concat(v, 2);
        newK.attach(manager);
        newV.attach(manager);
        if (keys[layer] != null) {
            keys[layer].close();
            values[layer].close();
        }
        keys[layer] = newK;
        values[layer] = newV;
        return new NDArray[] {newK, newV};
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
