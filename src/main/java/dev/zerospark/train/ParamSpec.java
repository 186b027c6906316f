package dev.zerospark.train;

import java.util.Arrays;

/**
 * One parameter's place in the flat fp32 vector: elements [offset, offset + numel). {@code decay} is true for
 * tensors with two or more dimensions (weight decay applies only to those).
 */
public record ParamSpec(String name, long[] shape, long offset, long numel, boolean decay) {
    @Override
    public String toString() {
        return name + Arrays.toString(shape) + "@" + offset;
    }
}
