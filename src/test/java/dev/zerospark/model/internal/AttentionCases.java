package dev.zerospark.model.internal;

/** Attention masks the attention tests share. */
final class AttentionCases {
    private AttentionCases() {}

    /**
     * A (2, 1, t, t) mask as a flat array: batch 0 causal; batch 1 causal with key 0 padded, so its query 0 is fully
     * masked.
     */
    static boolean[] causalAndLeftPadded(int t) {
        boolean[] allowed = new boolean[2 * t * t];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j <= i; j++) {
                allowed[i * t + j] = true;                  // batch 0: causal
                allowed[(t + i) * t + j] = i > 0 && j > 0;  // batch 1: key 0 padded, query 0 fully masked
            }
        }
        return allowed;
    }
}
