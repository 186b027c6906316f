package dev.zerospark.tokenizer;

/** A right-padded batch: {@code inputIds} and {@code attentionMask} are (B, T), T = longest row (or the max length). */
public record PaddedBatch(int[][] inputIds, int[][] attentionMask) {}
