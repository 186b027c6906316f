package dev.zerospark.zero;

/**
 * One parameter tensor's place in the flat parameter (and gradient) buffer: elements
 * {@code [offset, offset + numel)}. {@code decay} says whether AdamW weight decay applies (tensors with two or
 * more dimensions, as in the training recipe).
 */
public record FlatParam(String name, long offset, long numel, boolean decay) {
    public FlatParam {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("parameter name must not be blank");
        }
        if (offset < 0 || numel < 0 || offset > Long.MAX_VALUE - numel) {
            throw new IllegalArgumentException("parameter " + name + " has offset " + offset + " and numel " + numel);
        }
    }

    /** Decay follows the recipe: only tensors with two or more dimensions. */
    public static FlatParam ofShape(String name, long offset, long[] shape) {
        long numel = 1;
        for (long d : shape) {
            numel = Math.multiplyExact(numel, d);
        }
        return new FlatParam(name, offset, numel, shape.length >= 2);
    }

    public long end() {
        return offset + numel;
    }
}
