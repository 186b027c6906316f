package dev.zerospark.training;

/** Training failed: more often than {@code max_restarts} allows, or in a way no restart can pass. */
public final class TrainingFailedException extends RuntimeException {
    private TrainingFailedException(String message, Throwable cause) {
        super(message, cause);
    }

    public TrainingFailedException(int maxRestarts, Throwable cause) {
        this("training failed after " + maxRestarts + " restart(s) from checkpoint: " + cause.getMessage(), cause);
    }

    /** A failure a restart can't pass (a bug): the job stops without using up restarts. */
    static TrainingFailedException notRestartable(Throwable cause) {
        return new TrainingFailedException("training failed and was not restarted (a restart can't pass this failure): "
                + RankFailedException.firstLine(cause), cause);
    }
}
