package dev.zerospark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Causal + padding masks and HF-compatible position ids for left-padded batches. A padding mask row holds 1 for
 * real tokens and 0 for pads, over all S positions seen so far (cached and new).
 */
public final class AttentionMasks {
    private AttentionMasks() {}

    /**
     * (B, 1, T, S) boolean: query i (absolute position past + i) may attend key j when j <= past + i and key j is
     * not padding. {@code mask} is (B, S) with S = past + t, or null for no padding.
     */
    public static NDArray allowed(NDManager manager, long[][] mask, int batch, int t, int past) {
        int s = past + t;
        boolean[] a = new boolean[batch * t * s];
        for (int b = 0; b < batch; b++) {
            if (mask != null && mask[b].length != s) {
                throw new IllegalArgumentException("attention mask row " + b + " has length " + mask[b].length
                        + " but " + past + " cached + " + t + " new positions need " + s);
            }
            for (int i = 0; i < t; i++) {
                for (int j = 0; j <= past + i; j++) {
                    a[(b * t + i) * s + j] = mask == null || mask[b][j] != 0;
                }
            }
        }
        return manager.create(a, new Shape(batch, 1, t, s));
    }

    /**
     * Position ids of the last {@code t} of S positions, as HF's generate derives them:
     * {@code cumsum(mask) - 1}, with padding positions set to 1. Without a mask: past, past+1, ...
     */
    public static long[][] positionIds(long[][] mask, int batch, int t, int past) {
        long[][] pos = new long[batch][t];
        for (int b = 0; b < batch; b++) {
            long cum = 0;
            for (int j = 0; j < past + t; j++) {
                long m = mask == null ? 1 : mask[b][j];
                cum += m;
                if (j >= past) {
                    pos[b][j - past] = m == 0 ? 1 : cum - 1;
                }
            }
        }
        return pos;
    }
}
