package dev.zerospark.collective;

import dev.zerospark.safetensors.HalfFloats;

import java.util.Locale;

/**
 * Number format of reduction traffic on the ring (DeepSpeed's {@code communication_data_type}). Gradients stay
 * float32 in memory; with a 16-bit format every value a reduction sends is rounded to it (round to nearest even),
 * and every partial or final sum a rank computes is rounded the same way, so all ranks still end bit-identical.
 * Halves the bytes of all-reduce and reduce-scatter; all-gather and broadcast (weights) always travel as float32.
 */
public enum WireFormat {
    FP32(4), BF16(2), FP16(2);

    private final int bytes;

    WireFormat(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** fp32 | bf16 | fp16, case-insensitive; DeepSpeed also spells them float32, bfloat16, float16. */
    public static WireFormat parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "fp32", "float32", "float" -> FP32;
            case "bf16", "bfloat16" -> BF16;
            case "fp16", "float16", "half" -> FP16;
            default -> throw new IllegalArgumentException("communication data type must be fp32, bf16 or fp16, got '" + name + "'");
        };
    }

    /** The 16-bit pattern of {@code f} in this format (BF16 or FP16), rounded to nearest even. */
    public short encode(float f) {
        return this == BF16 ? HalfFloats.toBf16(f) : HalfFloats.toHalf(f);
    }

    public float decode(short bits) {
        return this == BF16 ? HalfFloats.bf16ToFloat(bits) : HalfFloats.toFloat(bits);
    }

    /** {@code f} rounded to this format and back (identity for FP32). */
    public float round(float f) {
        return this == FP32 ? f : decode(encode(f));
    }
}
