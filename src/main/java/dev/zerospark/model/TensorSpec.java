package dev.zerospark.model;

import java.util.Arrays;

/** A named parameter shape as it appears in the HF state dict. */
public record TensorSpec(String name, long[] shape) {
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
