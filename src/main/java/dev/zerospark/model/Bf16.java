package dev.zerospark.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * bfloat16 tensors on DJL 0.36's PyTorch engine, which cannot name that dtype. Its JNI turns DJL's dtype codes into
 * torch dtypes with a switch over codes 0..8 whose default is a bare {@code throw;} (GetScalarTypeFromDType in
 * djl_pytorch_utils.h); BFLOAT16 is code 11, so with no exception in flight the process dies with "terminate called
 * without an active exception". Every call that passes a dtype code does that for bf16: {@code toType(BFLOAT16)},
 * {@code create}/{@code zeros}/{@code full} with BFLOAT16, and ops that forward their input's dtype
 * ({@code softmax}, {@code zerosLike}, ...). A bf16 tensor reports {@link DataType#UNKNOWN} (code 9 of the reverse map).
 *
 * <p>What works, and what this class offers: ops that take no dtype code (linear, matMul, embedding, layer_norm,
 * gelu, add/mul with an fp32 0-dim scalar, where, index get/set, reshape, transpose) compute in bf16;
 * {@code toType(FLOAT32)} upcasts (code 0); and the downcast runs {@code x.to(torch.bfloat16)} in a TorchScript module
 * ({@code bf16.pt} in this package, loaded once per JVM), called through {@link IValueUtils}, which passes no dtype
 * code. The module has no parameters, so it serves tensors on any device, concurrently. Autograd records the cast
 * (backward reaches the fp32 input; {@code PrecisionTest}), unlike DJL's {@code toType}, whose result is detached.
 * (DJL's {@code hasGradient()} is no guide here: it answers false for non-leaf results that do have a grad_fn.)
 * It was written with python3-torch 1.13:
 * <pre>
 * class Bf16(torch.nn.Module):
 *     def forward(self, x: torch.Tensor) -&gt; torch.Tensor:
 *         return x.to(torch.bfloat16)
 * torch.jit.script(Bf16()).save("bf16.pt")
 * </pre>
 * ({@code x.view(torch.int16)} is not offered: TorchScript 1.13 serializes it as {@code view(size=[2])}.)
 */
public final class Bf16 {
    private static final String MODULE = "bf16.pt";

    private Bf16() {}

    /** Loaded on first use; its manager lives as long as the JVM, as the module must. */
    private static final class Module {
        static final PtNDManager MANAGER = (PtNDManager) NDManager.newBaseManager(Device.cpu(), "PyTorch");
        static final PtSymbolBlock BLOCK = load();

        private static PtSymbolBlock load() {
            try (InputStream in = Bf16.class.getResourceAsStream(MODULE)) {
                if (in == null) {
                    throw new IllegalStateException("resource " + MODULE + " is missing next to " + Bf16.class.getName());
                }
                return JniUtils.loadModule(MANAGER, in, true, false);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the TorchScript module " + MODULE, e);
            }
        }
    }

    /**
     * Whether {@code a} holds bf16. DJL reports a bf16 tensor as {@link DataType#UNKNOWN}; this project creates no
     * other tensor of a dtype DJL cannot name, so UNKNOWN is bf16 here ({@link DataType#BFLOAT16} for a DJL that maps it).
     */
    public static boolean is(NDArray a) {
        DataType t = a.getDataType();
        return t == DataType.UNKNOWN || t == DataType.BFLOAT16;
    }

    /** {@code a}'s values rounded to bf16 (round to nearest even), a new array attached to {@code a}'s manager. */
    public static NDArray of(NDArray a) {
        // A nameless view: DJL reads input names as structure ("a.b" is a dict key). Run as training: an inference
        // run wraps the call in c10::InferenceMode, and its output could then never be written in place (the KV
        // cache's buffers are) nor take part in autograd.
        try (NDArray view = a.reshape(a.getShape())) {
            return IValueUtils.forward(Module.BLOCK, new NDList(view), true).singletonOrThrow();
        }
    }

    /** bf16 zeros of {@code shape} on {@code device}, attached to {@code manager}. */
    public static NDArray zeros(NDManager manager, Shape shape, Device device) {
        try (NDArray f = manager.zeros(shape, DataType.FLOAT32, device)) {
            return of(f);
        }
    }

    /** {@code a} as fp32: itself when it is not bf16, else an upcast copy attached to {@code a}'s manager. */
    public static NDArray toFloat32(NDArray a) {
        return is(a) ? a.toType(DataType.FLOAT32, false) : a;
    }

    /** The array to read as Java floats: bf16 upcast first ({@code toFloatArray} refuses DJL's UNKNOWN dtype). */
    public static float[] toFloatArray(NDArray a) {
        if (!is(a)) return a.toFloatArray();
        try (NDArray f = a.toType(DataType.FLOAT32, false)) {
            return f.toFloatArray();
        }
    }
}
