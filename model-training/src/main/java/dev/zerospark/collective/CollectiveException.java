package dev.zerospark.collective;

/** A collective operation or its set-up failed. Once thrown by an operation the collective is unusable. */
public class CollectiveException extends RuntimeException {
    public CollectiveException(String message) {
        super(message);
    }

    public CollectiveException(String message, Throwable cause) {
        super(message, cause);
    }
}
