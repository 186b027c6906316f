package dev.zerospark.model;

import java.util.Arrays;

/** The checkpoint holds a tensor the model has no parameter for. */
public class UnexpectedTensorException extends CheckpointMismatchException {
    public UnexpectedTensorException(String tensor, long[] shape, String modelType, String checkpoint) {
        super("unexpected tensor " + tensor + " with shape " + Arrays.toString(shape) + " in " + checkpoint
                + ": not a parameter of this " + modelType + " model");
    }
}
