package dev.zerospark.model;

import ai.djl.ndarray.NDArray;

/**
 * One batch's full-sequence forward pass, cut at its transformer-block boundaries: {@code head(block(n-1, ...
 * block(0, embed())))} is exactly {@link CausalLm#forward} without a cache, op for op (the models run their forward
 * through the same code). Activation checkpointing uses the cuts to keep only each block's input and recompute the
 * block in backward. No model here has dropout or other randomness, so a recomputed block equals the first run.
 * Results attach to the manager of the array passed in (the batch's inputs for {@link #embed}).
 */
public interface BlockForward {
    /** Number of transformer blocks. */
    int numBlocks();

    /** (B, T, C) hidden states entering block 0 (token, and for GPT-2 position, embeddings). */
    NDArray embed();

    /** Transformer block {@code layer} (0-based): (B, T, C) in, (B, T, C) out, residuals included. */
    NDArray block(int layer, NDArray x);

    /** Final norm and LM head: (B, T, C) hidden states to (B, T, V) logits. */
    NDArray head(NDArray x);
}
