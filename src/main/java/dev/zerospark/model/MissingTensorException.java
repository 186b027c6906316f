package dev.zerospark.model;

import java.util.Arrays;

/** The model needs a tensor the checkpoint does not have. */
public class MissingTensorException extends CheckpointMismatchException {
    public MissingTensorException(String tensor, long[] expected, String checkpoint) {
        super("tensor " + tensor + " (model expects shape " + Arrays.toString(expected) + ") is missing from "
                + checkpoint);
    }
}
