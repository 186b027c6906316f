package dev.zerospark.model.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;

/**
 * libtorch's {@code torch.nn.functional.scaled_dot_product_attention} with an additive mask and an explicit scale,
 * through a one-line TorchScript module ({@link ScriptModule}): DJL 0.36 does not bind it. On the CPU in
 * fp32 it runs the fused flash-attention kernel, forward and backward, where the op-by-op path materialized the
 * (B, H, T, S) scores and probabilities and made contiguous copies of q, k and v for its batched products (about a
 * fifth of bench train-step's forward and backward). Autograd records it like any other op (see {@link TanhGelu}).
 */
public final class FusedAttention {
    private static final String FORWARD = "  def forward(self: __torch__.FusedAttention,\n"
            + "    q: Tensor,\n"
            + "    k: Tensor,\n"
            + "    v: Tensor,\n"
            + "    bias: Tensor,\n"
            + "    scale: Tensor) -> Tensor:\n"
            + "    return torch.scaled_dot_product_attention(q, k, v, bias, 0., False, scale=float(scale))\n";

    private FusedAttention() {}

    /**
     * softmax(scale q k^T + bias) v; q (B, H, T, D), k and v (B, H, S, D), bias (B, 1, T, S), all one dtype; scale a
     * one-element tensor (a plain number cannot cross DJL's module call). The kernel scales inside its product: no
     * separate pass over q forward and backward.
     */
    public static NDArray apply(NDArray q, NDArray k, NDArray v, NDArray bias, NDArray scale) {
        return IValueUtils.forward(Module.BLOCK, new NDList(q, k, v, bias, scale), true).singletonOrThrow();
    }

    /** Loaded on first use. */
    private static final class Module {
        static final PtSymbolBlock BLOCK = ScriptModule.load("FusedAttention", FORWARD);
    }
}
