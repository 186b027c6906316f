package dev.zerospark.model;

/** A checkpoint's tensors do not match the architecture built from config.json. */
public class CheckpointMismatchException extends IllegalStateException {
    public CheckpointMismatchException(String message) {
        super(message);
    }
}
