package dev.zerospark.train;

import java.util.List;

/**
 * A model whose parameters are viewed as one flat fp32 vector in a fixed canonical order (HF state-dict names,
 * model definition order; tied weights appear once). One instance per thread: each call runs autograd with the
 * calling thread's own PyTorch grad mode.
 */
public interface TrainableModel extends TrainableWeights, AutoCloseable {
    @Override
    List<ParamSpec> params();

    /** Total number of elements. */
    long numel();

    /**
     * Forward + backward on one micro-batch, ADDING d(gradScale * sum of token losses)/d(param) into each
     * parameter's own gradient tensor ({@link #gradient}): micro-batches accumulate there until the optimizer takes
     * them and calls {@link #zeroGradients()}. The mask reads as in {@link #forwardBackward(int[][], float[][], float,
     * float[])}. Returns the un-scaled sum of token losses and the number of predicted tokens.
     */
    LossSum forwardBackward(int[][] inputIds, float[][] lossMask, float gradScale);

    /**
     * Forward + backward on one micro-batch, copied out to the host (tests and tools; training uses the tensor form
     * above). {@code inputIds} is (B, T); {@code lossMask} may be null (all ones),
     * otherwise (B, T) and applies to the <em>label</em> positions like HF's labels: {@code lossMask[b][t]} weights
     * the loss of predicting token t from tokens &lt; t, so column 0 is never used.
     * ADDS d(gradScale * sum of token losses)/d(param) into {@code gradOut[0, numel())}; {@code gradOut} may be
     * longer than numel() (e.g. a padded ZeRO gradient buffer), its tail is left untouched.
     * Returns the un-scaled sum of token losses and the number of predicted tokens. The model's gradients must be
     * zero on entry and are zero again on return.
     *
     * @throws IllegalArgumentException if {@code gradOut.length < numel()}
     */
    LossSum forwardBackward(int[][] inputIds, float[][] lossMask, float gradScale, float[] gradOut);

    /**
     * Forward only, no autograd graph: the sum of token losses and the number of predicted tokens, with the mask read
     * as in {@link #forwardBackward}. What validation uses ({@link TokenNll}, shared with {@code eval perplexity}).
     */
    LossSum loss(int[][] inputIds, float[][] lossMask);

    /** Flat copy of the current weights into {@code out} (length numel()). */
    void readParams(float[] out);

    /** Loads flat weights (length numel()) into the model. */
    void writeParams(float[] flat);

    @Override
    void close();

    /** Number of predicted tokens in a batch: (T - 1) per row, or the non-zero label positions of the mask. */
    static long countTargets(int[][] inputIds, float[][] lossMask) {
        long n = 0;
        for (int b = 0; b < inputIds.length; b++) {
            for (int t = 1; t < inputIds[b].length; t++) {
                if (lossMask == null || lossMask[b][t] != 0f) {
                    n++;
                }
            }
        }
        return n;
    }
}
