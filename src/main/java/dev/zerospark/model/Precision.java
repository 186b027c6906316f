package dev.zerospark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Locale;

/**
 * The number format a model's weights, activations and gradients live in ({@code train.precision}): fp32, or bf16 /
 * fp16 mixed precision, where an optimizer keeps fp32 master weights and this format is the model's working copy.
 *
 * <p>The casts here are the ones autograd can see. DJL 0.36's {@code toType} runs {@code tensor.to(dtype)} but the
 * result has no grad_fn (a probe: {@code w.toType(FLOAT16).mul(2)} back-propagates nothing to {@code w}), so a cast
 * inside a trained forward must go another way: down to bf16 through {@link Bf16#of} (a TorchScript
 * {@code x.to(torch.bfloat16)}, recorded), down to fp16 by an in-place copy into an fp16 buffer (copy_ is recorded),
 * and up to fp32 by {@code x * ones(1, fp32)}: type promotion gives fp32 exactly, and the backward casts the fp32
 * gradient to the input's dtype with round-to-nearest-even, as {@code x.float()}'s backward does.
 */
public enum Precision {
    FP32("fp32", 4),
    BF16("bf16", 2),
    FP16("fp16", 2);

    private final String key;
    private final int bytes;

    Precision(String key, int bytes) {
        this.key = key;
        this.bytes = bytes;
    }

    /** fp32 | bf16 | fp16, as {@code train.precision} spells it. */
    public static Precision of(String key) {
        for (Precision p : values()) {
            if (p.key.equals(key.toLowerCase(Locale.ROOT))) return p;
        }
        throw new IllegalArgumentException("precision '" + key + "' is not one of fp32, bf16, fp16");
    }

    /** The precision of {@code a}'s dtype; FP32 for any dtype that is neither bf16 nor fp16. */
    public static Precision of(NDArray a) {
        if (Bf16.is(a)) return BF16;
        return a.getDataType() == DataType.FLOAT16 ? FP16 : FP32;
    }

    public String key() {
        return key;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** Whether {@code a} holds this format. */
    public boolean holds(NDArray a) {
        return of(a) == this;
    }

    /**
     * {@code f} (fp32) rounded to this format with round-to-nearest-even, what torch's {@code .to(dtype)} does; a
     * new array attached to {@code f}'s manager ({@code f} itself for FP32). Autograd records it.
     */
    public NDArray fromFloat32(NDArray f) {
        switch (this) {
            case FP32:
                return f;
            case BF16:
                return Bf16.of(f);
            default:
                NDArray half = f.getManager().zeros(f.getShape(), DataType.FLOAT16, f.getDevice());
                half.set(new NDIndex("..."), f);
                return half;
        }
    }

    /**
     * {@code a} as fp32, exactly: itself when it is fp32, else {@code a * 1} with an fp32 one, attached to
     * {@code a}'s manager. Autograd records it (see the class comment for why not {@code toType}).
     */
    public static NDArray toFloat32(NDArray a) {
        if (a.getDataType() == DataType.FLOAT32) return a;
        try (NDArray one = a.getManager().ones(new Shape(1), DataType.FLOAT32, a.getDevice())) {
            return a.mul(one);
        }
    }
}
