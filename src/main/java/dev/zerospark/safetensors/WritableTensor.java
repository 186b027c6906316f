package dev.zerospark.safetensors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A tensor to be written: name, on-disk dtype, shape and the source values. Values are kept as fp32 (or int64)
 * and encoded to the target dtype while streaming, so no second full-size byte copy is made.
 */
public final class WritableTensor {
    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final float[] floats;
    private final long[] longs;

    private WritableTensor(String name, DType dtype, long[] shape, float[] floats, long[] longs) {
        long n = TensorInfo.numel(shape);
        long have = floats != null ? floats.length : longs.length;
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
        return new WritableTensor(name, DType.F32, shape, values, null);
    }

    /** Stored as bfloat16 with round-to-nearest-even. */
    public static WritableTensor bf16(String name, long[] shape, float[] values) {
        return new WritableTensor(name, DType.BF16, shape, values, null);
    }

    /** Stored as IEEE binary16 with round-to-nearest-even. */
    public static WritableTensor f16(String name, long[] shape, float[] values) {
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

    /** Encodes elements [from, to) into {@code buf} (little-endian); the caller sizes the range to fit. */
    void encode(int from, int to, ByteBuffer buf) {
        buf.order(ByteOrder.LITTLE_ENDIAN);
        for (int i = from; i < to; i++) {
            switch (dtype) {
                case F32 -> buf.putFloat(floats[i]);
                case BF16 -> buf.putShort(HalfFloats.toBf16(floats[i]));
                case F16 -> buf.putShort(HalfFloats.toHalf(floats[i]));
                case I64 -> buf.putLong(longs[i]);
                default -> throw new IllegalStateException("cannot encode " + dtype);
            }
        }
    }

    int length() {
        return floats != null ? floats.length : longs.length;
    }
}
