package dev.zerospark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.zerospark.model.BlockForward;
import dev.zerospark.model.GradMode;
import java.util.function.UnaryOperator;

/**
 * Forward + backward with activation checkpointing (what {@code torch.utils.checkpoint} does per block, which DJL
 * lacks). The forward runs every block without autograd and keeps only the block inputs, B x T x C each; backward
 * then walks the blocks from the last, re-running each one with autograd from its saved input (a leaf that requires
 * a gradient), backpropagating the gradient of its output into the weights and into that leaf, whose gradient is the
 * upstream gradient of the block before. Activation memory is thus the block inputs plus one block's graph instead
 * of every block's graph.
 *
 * <p>Gradients come out bit for bit as with one plain backward: each block computes the same ops on the same
 * values, PyTorch adds each backward into the weights' {@code .grad} (nothing here zeroes it), and the only weight
 * reached from two places, a tied embedding (LM head and input embedding), is a sum of two terms either way.
 * Deterministic recompute needs blocks without randomness (the models have no dropout; see {@link BlockForward}).
 */
final class BlockRecompute {
    private BlockRecompute() {}

    /**
     * Runs {@code blocks} and backpropagates {@code lossGrad(logits)}, d(loss)/d(logits), into the weights' gradients.
     * Must run in grad mode; arrays that outlive a block attach to {@code m}, the step's manager.
     */
    static void forwardBackward(BlockForward blocks, UnaryOperator<NDArray> lossGrad, NDManager m) {
        int n = blocks.numBlocks();
        // The embedding keeps its (small) graph: backward only needs the token ids, so it is not recomputed.
        NDArray embedded = blocks.embed();                                           // (B, T, C)
        NDArray[] inputs = new NDArray[n + 1];                                       // inputs[n] enters the head
        inputs[0] = embedded.stopGradient();
        try (GradMode off = GradMode.off()) {
            for (int i = 0; i < n; i++) {
                try (NDManager bm = m.newSubManager()) {
                    inputs[i + 1] = blocks.block(i, view(inputs[i], bm, false));
                    inputs[i + 1].attach(m); // the block's other arrays go with bm
                }
            }
        }
        NDArray upstream;
        try (NDManager hm = m.newSubManager()) {
            NDArray top = view(inputs[n], hm, true);
            NDArray logits = blocks.head(top);                                       // (B, T, V)
            JniUtils.backward((PtNDArray) logits, (PtNDArray) lossGrad.apply(logits), false, false);
            upstream = gradientOf(top, m);
        }
        inputs[n].close();
        for (int i = n - 1; i >= 0; i--) {
            try (NDManager bm = m.newSubManager()) {
                NDArray x = view(inputs[i], bm, true);
                NDArray out = blocks.block(i, x);                                    // recomputed, with its graph
                JniUtils.backward((PtNDArray) out, (PtNDArray) upstream, false, false);
                upstream.close();
                upstream = gradientOf(x, m);
            }
            inputs[i].close();
        }
        JniUtils.backward((PtNDArray) embedded, (PtNDArray) upstream, false, false);
        upstream.close();
    }

    /**
     * A new handle on {@code x}'s data without its history, attached to {@code into}: the ops of a block attach their
     * results to their first operand's manager, so the block's arrays all land in {@code into} and close with it.
     */
    private static NDArray view(NDArray x, NDManager into, boolean leaf) {
        NDArray v = x.stopGradient();
        v.attach(into);
        if (leaf) {
            v.setRequiresGradient(true);
        }
        return v;
    }

    private static NDArray gradientOf(NDArray leaf, NDManager into) {
        NDArray g = leaf.getGradient();
        g.attach(into);
        return g;
    }
}
