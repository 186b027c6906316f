package dev.zerospark.training;

/** Training failed more often than {@code max_restarts} allows; the cause is the last failure. */
public final class TrainingFailedException extends RuntimeException {
    public TrainingFailedException(int maxRestarts, Throwable cause) {
        super("training failed after " + maxRestarts + " restart(s) from checkpoint: " + cause.getMessage(), cause);
    }
}
