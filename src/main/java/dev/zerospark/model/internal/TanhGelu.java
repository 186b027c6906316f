package dev.zerospark.model.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;

/**
 * libtorch's fused tanh-approximated GELU, {@code torch.nn.functional.gelu(x, approximate="tanh")}: HF's "gelu_new"
 * and "gelu_pytorch_tanh" (the same function; results differ from the op-by-op formula by float rounding only).
 * DJL 0.36 binds only the erf GELU, and the formula op by op cost nine (B, T, 4C) elementwise passes forward and about
 * fourteen in backward: about 9 ms per layer and step in bench train-step's model (2 threads), where this kernel takes
 * under 3 ms with its backward. So the op runs through a one-line TorchScript module ({@link ScriptModule}), loaded
 * once per JVM.
 *
 * <p>The module's forward runs in the caller's grad mode: with grad on, autograd records {@code aten::gelu} and its
 * fused backward like any other op; with grad off (generation) nothing is recorded.
 */
public final class TanhGelu {
    /** TorchScript source of the forward, as torch.jit.script writes a module whose forward is the one gelu call. */
    private static final String FORWARD = "  def forward(self: __torch__.GeluTanh,\n"
            + "    x: Tensor) -> Tensor:\n"
            + "    return torch.gelu(x, approximate=\"tanh\")\n";

    private TanhGelu() {}

    /** gelu(x, approximate="tanh"); the result is attached to {@code x}'s manager. */
    public static NDArray apply(NDArray x) {
        return IValueUtils.forward(Module.BLOCK, new NDList(x), true).singletonOrThrow();
    }

    /** Loaded on first use. */
    private static final class Module {
        static final PtSymbolBlock BLOCK = ScriptModule.load("GeluTanh", FORWARD);
    }
}
