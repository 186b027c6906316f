package dev.zerospark.safetensors;

import java.io.IOException;

/** A safetensors file or shard index is malformed (bad header, offsets outside the file, inconsistent sizes). */
public class SafetensorsFormatException extends IOException {
    public SafetensorsFormatException(String message) {
        super(message);
    }

    public SafetensorsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
