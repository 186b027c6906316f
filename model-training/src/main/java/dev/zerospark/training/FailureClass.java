package dev.zerospark.training;

import dev.zerospark.checkpoint.CheckpointException;
import dev.zerospark.checkpoint.ChecksumMismatchException;
import dev.zerospark.checkpoint.CorruptCheckpointException;
import dev.zerospark.collective.PeerFailedException;
import dev.zerospark.config.ConfigException;
import dev.zerospark.model.CheckpointMismatchException;
import dev.zerospark.model.ModelConfigException;
import dev.zerospark.safetensors.SafetensorsFormatException;
import dev.zerospark.safetensors.TensorTooLargeException;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * What a rank's failure says about a restart. Only failures that can pass are worth one: a lost task or
 * executor, a peer that failed or timed out, an I/O error. A config error, a bad model directory or a bug
 * fails the same way on every attempt, so the job stops at once instead of using up {@code max_restarts}.
 */
public enum FailureClass {
    /** Can pass on another attempt. */
    RETRYABLE,
    /** Bad input (config, model directory): exit code 2. */
    CONFIG,
    /** Anything else: a bug; exit code 1. */
    BUG;

    /** Classifies an exception thrown by a rank, looking through its causes (outermost first). */
    public static FailureClass of(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            // Model files are untrusted input: a corrupt or hostile safetensors file fails the same way every time.
            if (t instanceof ConfigException || t instanceof ModelConfigException || t instanceof CheckpointMismatchException
                    || t instanceof SafetensorsFormatException || t instanceof TensorTooLargeException
                    // A damaged checkpoint (found by the rank that reads it) reads the same on every attempt.
                    || t instanceof ChecksumMismatchException || t instanceof CorruptCheckpointException) {
                return CONFIG;
            }
            if (t instanceof PeerFailedException) {
                // A peer that aborted with its own class (RankTrainer's abort) decides: a config error anywhere is
                // a config error everywhere.
                return RankFailedException.tagIn(t.getMessage()).orElse(RETRYABLE);
            }
            if (t instanceof IOException || t instanceof UncheckedIOException
                    || t instanceof CheckpointException) {
                return RETRYABLE;
            }
            if (t.getCause() == t) break;
        }
        return BUG;
    }
}
