package dev.zerospark.model;

import ai.djl.ndarray.NDArray;

/** A decoder-only causal language model computing fp32 logits with DJL's PyTorch engine. */
public interface CausalLm extends AutoCloseable {
    ModelConfig config();

    /** The weights, in canonical HF state-dict order. */
    Parameters parameters();

    /**
     * Logits for every input position.
     *
     * @param inputIds (B, T) int64 token ids
     * @param positionIds (B, T) int64 absolute positions (see {@link AttentionMasks#positionIds})
     * @param allowed (B, 1, T, S) boolean where S = cached + T; true where query t may attend key s
     * @param cache past keys/values, appended to in place; null for a plain full-sequence forward
     * @return (B, T, V) fp32 logits attached to {@code inputIds}' manager
     */
    NDArray forward(NDArray inputIds, NDArray positionIds, NDArray allowed, KvCache cache);

    /**
     * Like {@link #forward} but the LM head runs on the last position only, returning (B, 1, V): what a generation
     * step needs. A prefill of P tokens then skips P - 1 rows of the (C x V) head, its largest matmul.
     */
    NDArray forwardLast(NDArray inputIds, NDArray positionIds, NDArray allowed, KvCache cache);

    /**
     * The full-sequence forward of {@link #forward} (no cache) split into embedding, blocks and head, for training
     * with activation checkpointing. Arguments as in {@link #forward}; they must stay open while the result is used.
     */
    BlockForward blocks(NDArray inputIds, NDArray positionIds, NDArray allowed);

    /**
     * Convenience full-sequence forward without autograd: {@code ids} (B, T), optional padding {@code mask}
     * (B, T) with HF position ids. Returns row-major (B, T, V) logits. Intermediate arrays are freed.
     */
    default float[] logits(long[][] ids, long[][] mask) {
        int b = ids.length;
        int t = ids[0].length;
        try (GradMode off = GradMode.off(); ai.djl.ndarray.NDManager m = parameters().manager().newSubManager()) {
            NDArray in = m.create(ids);
            NDArray pos = m.create(AttentionMasks.positionIds(mask, b, t, 0));
            NDArray allowed = AttentionMasks.allowed(m, mask, b, t, 0);
            return forward(in, pos, allowed, null).toFloatArray();
        }
    }

    /** An empty cache sized for this model; it owns a sub-manager of the model's manager. */
    default KvCache newCache() {
        return newCache(0);
    }

    /** An empty cache that preallocates {@code positions} (prompt + new tokens) per layer on its first append. */
    default KvCache newCache(int positions) {
        return new KvCache(parameters().manager().newSubManager(), config().numLayers(), positions);
    }

    @Override
    default void close() {
        parameters().close();
    }
}
