package dev.zerospark.eval;

import dev.zerospark.config.UsageError;

/** An evaluation found nothing to score in its input (no rows in the split, no token with loss, no joined pair). */
public final class NothingToScoreException extends IllegalArgumentException implements UsageError {
    /** @param what the table (with version or split) and why nothing in it can be scored */
    public NothingToScoreException(String what) {
        super(what);
    }
}
