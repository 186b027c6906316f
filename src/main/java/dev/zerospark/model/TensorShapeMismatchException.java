package dev.zerospark.model;

import java.util.Arrays;

/** A checkpoint tensor exists but has the wrong shape. */
public class TensorShapeMismatchException extends CheckpointMismatchException {
    public TensorShapeMismatchException(String tensor, long[] actual, long[] expected, String checkpoint) {
        super("tensor " + tensor + " in " + checkpoint + " has shape " + Arrays.toString(actual)
                + " but the model expects " + Arrays.toString(expected));
    }
}
