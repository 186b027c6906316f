package dev.zerospark.pipeline;

import java.time.Instant;
import java.util.Map;

/**
 * One row of {@code pipeline_runs}. {@code attempt} counts the invocations of a run id (1 for the first, 2 for its
 * first rerun, ...); a stage's status is that of its last row. {@code metrics} is a JSON object as text; for a
 * skipped stage {@code error} holds the reason it was skipped.
 */
public record StageRecord(String runId, String stage, StageStatus status, int attempt, Instant startedAt, Instant endedAt,
                          Map<String, Long> inputVersions, Map<String, Long> outputVersions, String metrics, String error) {}
