package dev.zerospark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.zerospark.model.AttentionMasks;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.GradMode;

/**
 * The one forward-only next-token loss: {@code train}'s validation loss, {@code eval perplexity} and the pipeline's
 * perplexity evaluator all call it, so "the perplexity train logs" and "the perplexity eval prints" are the same
 * number by construction. No autograd graph is built (PyTorch's grad mode is off for the call), so it costs one
 * forward pass and no gradient memory.
 *
 * <p>Rows are (B, T) token ids with no padding; the loss mask, when given, weights label positions like HF's labels
 * (column 0 never counts), exactly as {@link TrainableModel#forwardBackward} weighs them.
 */
public final class TokenNll {
    private TokenNll() {
    }

    /** Sum of -log p(token t | tokens &lt; t) over the batch's weighted label positions, and their count. */
    public static LossSum of(CausalLm lm, int[][] inputIds, float[][] lossMask) {
        int b = inputIds.length;
        if (b == 0) return new LossSum(0, 0);
        int t = inputIds[0].length;
        if (t < 2) throw new IllegalArgumentException("sequences need at least 2 tokens to predict one, got length " + t);
        for (int[] row : inputIds) {
            if (row.length != t) throw new IllegalArgumentException("rows of one batch differ in length (" + row.length + " and " + t + ")");
        }
        try (GradMode off = GradMode.off(); NDManager m = lm.parameters().manager().newSubManager()) {
            NDArray ids = m.create(inputIds).toType(DataType.INT64, false);                         // (B, T)
            NDArray pos = m.create(AttentionMasks.positionIds(null, b, t, 0));
            NDArray allowed = AttentionMasks.allowed(m, null, b, t, 0);
            NDArray logits = lm.forward(ids, pos, allowed, null);                                   // (B, T, V)
            double sum = 0;
            for (int i = 0; i < b; i++) {
                long[] labels = new long[t - 1];
                float[] mask = new float[t - 1];
                for (int j = 0; j < t - 1; j++) {
                    labels[j] = inputIds[i][j + 1];
                    mask[j] = lossMask == null ? 1f : lossMask[i][j + 1];
                }
                // one row's (T-1, V) log-probabilities at a time: a (B, T, V) copy would double the logits' memory
                try (NDManager r = m.newSubManager()) {
                    NDArray row = logits.get(new NDIndex("{}, :{}", i, t - 1)).toType(DataType.FLOAT32, false);
                    row.attach(r);
                    NDArray logp = row.logSoftmax(1);
                    NDArray picked = logp.gather(r.create(labels, new Shape(t - 1, 1)), 1);      // (T-1, 1)
                    sum -= picked.mul(r.create(mask, new Shape(t - 1, 1))).sum().getFloat();
                }
            }
            return new LossSum(sum, TrainableModel.countTargets(inputIds, lossMask));
        }
    }

    /** {@link #of} over many rows, {@code batch} rows per forward pass, summed in row order. */
    public static LossSum over(CausalLm lm, int[][] rows, float[][] masks, int batch) {
        if (batch < 1) throw new IllegalArgumentException("batch must be at least 1, got " + batch);
        LossSum total = new LossSum(0, 0);
        for (int from = 0; from < rows.length; from += batch) {
            int to = Math.min(rows.length, from + batch);
            int[][] ids = java.util.Arrays.copyOfRange(rows, from, to);
            float[][] mask = masks == null ? null : java.util.Arrays.copyOfRange(masks, from, to);
            total = total.plus(of(lm, ids, mask));
        }
        return total;
    }
}
