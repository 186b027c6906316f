package dev.zerospark.checkpoint;

/** A checkpoint could not be written, found or trusted. Messages name the checkpoint URI and file. */
public class CheckpointException extends RuntimeException {
    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }

    public CheckpointException(String message) {
        super(message);
    }

    static CheckpointException io(String action, String uri, Throwable cause) {
        return new CheckpointException("cannot " + action + " " + uri + ": " + cause.getMessage(), cause);
    }

    static CheckpointException noComplete(String root) {
        return new CheckpointException("no complete checkpoint under " + root);
    }
}
