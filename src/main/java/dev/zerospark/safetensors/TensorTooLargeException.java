package dev.zerospark.safetensors;

/** A well-formed tensor has more elements than one Java array holds, so it cannot be read whole. */
public class TensorTooLargeException extends IllegalArgumentException {
    public TensorTooLargeException(TensorInfo info, String where, long maxElements) {
        super("tensor " + info + " in " + where + " has " + info.numel() + " elements, more than the " + maxElements
                + " one array can hold");
    }
}
