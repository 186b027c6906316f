package dev.zerospark.safetensors;

import dev.zerospark.flat.FlatFloats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A tensor to be written: name, on-disk dtype, shape and the source values. Values are kept as fp32 (or int64)
 * and encoded to the target dtype while streaming, so no second full-size byte copy is made. Float values may
 * come from a {@link FlatFloats} of any length, so a tensor over 2^31 elements is written chunk by chunk.
 */
public final class WritableTensor {
    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final FlatFloats floats;
    private final long[] longs;

    private WritableTensor(String name, DType dtype, long[] shape, FlatFloats floats, long[] longs) {
        long n = TensorInfo.numel(shape);
        long have = floats != null ? floats.length() : longs.length;
        if (n != have) {
            throw new IllegalArgumentException("tensor " + name + " has shape " + TensorInfo.shapeString(shape)
                    + " (" + n + " elements) but " + have + " values were given");
        }
        this.name = name;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.floats = floats;
        this.longs = longs;
    }

    public static WritableTensor f32(String name, long[] shape, float[] values) {
        return f32(name, shape, FlatFloats.wrap(values));
    }

    public static WritableTensor f32(String name, long[] shape, FlatFloats values) {
        return new WritableTensor(name, DType.F32, shape, values, null);
    }

    /** Stored as bfloat16 with round-to-nearest-even. */
    public static WritableTensor bf16(String name, long[] shape, float[] values) {
        return bf16(name, shape, FlatFloats.wrap(values));
    }

    public static WritableTensor bf16(String name, long[] shape, FlatFloats values) {
        return new WritableTensor(name, DType.BF16, shape, values, null);
    }

    /** Stored as IEEE binary16 with round-to-nearest-even. */
    public static WritableTensor f16(String name, long[] shape, float[] values) {
        return f16(name, shape, FlatFloats.wrap(values));
    }

    public static WritableTensor f16(String name, long[] shape, FlatFloats values) {
        return new WritableTensor(name, DType.F16, shape, values, null);
    }

    public static WritableTensor i64(String name, long[] shape, long[] values) {
        return new WritableTensor(name, DType.I64, shape, null, values);
    }

    public String name() {
        return name;
    }

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    public long byteSize() {
        return TensorInfo.numel(shape) * dtype.bytes();
    }

    /**
     * Encodes elements {@code [from, from + n)} into {@code buf} (little-endian); float values pass through
     * {@code staging} (at least n long). The caller sizes the range to fit.
     */
    void encode(long from, int n, ByteBuffer buf, float[] staging) {
        buf.order(ByteOrder.LITTLE_ENDIAN);
        if (floats == null) {
            for (int i = 0; i < n; i++) {
                buf.putLong(longs[Math.toIntExact(from + i)]);
            }
            return;
        }
        floats.get(from, staging, 0, n);
        for (int i = 0; i < n; i++) {
            switch (dtype) {
                case F32 -> buf.putFloat(staging[i]);
                case BF16 -> buf.putShort(HalfFloats.toBf16(staging[i]));
                case F16 -> buf.putShort(HalfFloats.toHalf(staging[i]));
                default -> throw new IllegalStateException("cannot encode " + dtype);
            }
        }
    }

    long length() {
        return floats != null ? floats.length() : longs.length;
    }
}
