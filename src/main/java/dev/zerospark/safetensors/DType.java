package dev.zerospark.safetensors;

/** Safetensors element types this reader understands, with their on-disk width in bytes. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    public boolean isFloatingPoint() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /** Parses the header spelling ("F32", "BF16", ...); the tensor name is only used for the error message. */
    public static DType parse(String s, String tensor) throws SafetensorsFormatException {
        try {
            return DType.valueOf(s);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException("tensor " + tensor + " has unsupported dtype " + s, e);
        }
    }
}
