package dev.zerospark.data;

import dev.zerospark.config.UsageError;

/** A path given as a Delta table has no {@code _delta_log}: a usage error, named once here. */
public final class NotADeltaTableException extends RuntimeException implements UsageError {
    private final String path;

    public NotADeltaTableException(String path) {
        super("not a Delta table: " + path + " (no _delta_log)");
        this.path = path;
    }

    public String path() {
        return path;
    }
}
