package dev.zerospark.safetensors;

/** A tensor was requested by name but the file or checkpoint does not contain it. */
public class TensorNotFoundException extends IllegalArgumentException {
    public TensorNotFoundException(String tensor, String where) {
        super("tensor " + tensor + " not found in " + where);
    }
}
