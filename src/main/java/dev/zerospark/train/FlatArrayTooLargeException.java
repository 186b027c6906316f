package dev.zerospark.train;

/**
 * A model has more parameters than one Java {@code float[]} holds, and the path asked for keeps the flat
 * parameters (or gradients, or optimizer state) in one. Sizes themselves are 64-bit; only such arrays are not.
 */
public class FlatArrayTooLargeException extends IllegalArgumentException {
    public FlatArrayTooLargeException(String what, long elements, long maxElements) {
        super(what + " needs one flat fp32 array of " + elements + " elements, more than the " + maxElements
                + " one Java array holds");
    }
}
