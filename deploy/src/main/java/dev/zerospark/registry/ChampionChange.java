package dev.zerospark.registry;

import java.time.Instant;

/**
 * One row of {@code champion_history}: the champion moved from {@code fromVersion} (null: there was none) to
 * {@code toVersion}. {@code action} is {@link #PROMOTE} (a pipeline run), {@link #MANUAL_PROMOTE} or
 * {@link #ROLLBACK}; {@code runId} is the pipeline run, null for manual changes.
 */
public record ChampionChange(Instant changedAt, String action, Integer fromVersion, int toVersion, String runId, String reason) {
    public static final String PROMOTE = "promote";
    public static final String MANUAL_PROMOTE = "manual_promote";
    public static final String ROLLBACK = "rollback";
}
