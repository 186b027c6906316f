package dev.zerospark.pipeline;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;

/**
 * What a stage did: {@link StageStatus#SUCCEEDED} or {@link StageStatus#SKIPPED} (with the reason), the Delta
 * table versions it read and wrote (table name → version), and its metrics. {@code nothingNew} marks a skip because
 * there was no new data: the runner then skips train, eval and promote and the run ends "nothing new".
 */
public record StageResult(StageStatus status, String reason, boolean nothingNew, Map<String, Long> inputVersions,
                          Map<String, Long> outputVersions, ObjectNode metrics) {
    public StageResult {
        if (!status.done()) throw new IllegalArgumentException("a stage result is succeeded or skipped, not " + status.value());
        inputVersions = Map.copyOf(inputVersions);
        outputVersions = Map.copyOf(outputVersions);
        metrics = metrics == null ? JsonNodeFactory.instance.objectNode() : metrics;
    }

    public static StageResult succeeded(Map<String, Long> inputVersions, Map<String, Long> outputVersions, ObjectNode metrics) {
        return new StageResult(StageStatus.SUCCEEDED, null, false, inputVersions, outputVersions, metrics);
    }

    public static StageResult skipped(String reason) {
        return new StageResult(StageStatus.SKIPPED, reason, false, Map.of(), Map.of(), null);
    }

    /** Skipped for want of new data, with what was looked at. */
    public static StageResult nothingNew(String reason, Map<String, Long> inputVersions, ObjectNode metrics) {
        return new StageResult(StageStatus.SKIPPED, reason, true, inputVersions, Map.of(), metrics);
    }
}
