package dev.zerospark.pipeline;

import java.util.Locale;

/** A stage's status in {@code pipeline_runs}, stored in lower case. */
public enum StageStatus {
    STARTED, SUCCEEDED, FAILED, SKIPPED;

    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static StageStatus of(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }

    /** Succeeded or skipped: a rerun of the run does not run the stage again. */
    public boolean done() {
        return this == SUCCEEDED || this == SKIPPED;
    }
}
