package dev.zerospark.safetensors;

import java.util.Arrays;

/** One header entry: name, dtype, shape and the byte range [begin, end) relative to the data section. */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
    public long numel() {
        return numel(shape);
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public static String shapeString(long[] shape) {
        return Arrays.toString(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape);
    }
}
