package dev.zerospark.collective;

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

    /** The 16-bit pattern of {@code f} in this format (BF16 or FP16). */
    public short encode(float f) {
        return this == BF16 ? toBf16(f) : toFp16(f);
    }

    public float decode(short bits) {
        return this == BF16 ? fromBf16(bits) : fromFp16(bits);
    }

    /** {@code f} rounded to this format and back (identity for FP32). */
    public float round(float f) {
        return this == FP32 ? f : decode(encode(f));
    }

    static short toBf16(float f) {
        int b = Float.floatToRawIntBits(f);
        if ((b & 0x7FFFFFFF) > 0x7F800000) return (short) ((b >>> 16) | 0x40); // NaN stays a (quiet) NaN
        return (short) ((b + 0x7FFF + ((b >>> 16) & 1)) >>> 16);
    }

    static float fromBf16(short s) {
        return Float.intBitsToFloat((s & 0xFFFF) << 16);
    }

    static short toFp16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7FFFFFFF;
        if (abs >= 0x7F800000) return (short) (sign | (abs > 0x7F800000 ? 0x7E00 : 0x7C00)); // NaN, infinity
        if (abs >= 0x477FF000) return (short) (sign | 0x7C00); // >= 65520 rounds past the largest half, 65504
        if (abs < 0x38800000) { // below 2^-14: a subnormal half, or zero
            if (abs < 0x33000000) return (short) sign; // below 2^-25: rounds to zero (2^-25 itself ties to even 0)
            int e = abs >>> 23;
            int m = (abs & 0x7FFFFF) | 0x800000;
            int shift = 126 - e;
            int r = m >>> shift;
            int rem = m & ((1 << shift) - 1);
            int half = 1 << (shift - 1);
            if (rem > half || (rem == half && (r & 1) != 0)) r++;
            return (short) (sign | r);
        }
        int r = (abs - 0x38000000) >>> 13; // rebias the exponent from 127 to 15
        int rem = abs & 0x1FFF;
        if (rem > 0x1000 || (rem == 0x1000 && (r & 1) != 0)) r++; // a carry into the exponent is still right
        return (short) (sign | r);
    }

    static float fromFp16(short h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
}
