package dev.zerospark.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** One complete registered model: {@code uri} is its HF directory, {@code metrics} its {@code metrics.json}. */
public record ModelVersion(int version, String uri, ObjectNode metrics) {
    /** {@code v<N>}, the version's directory name. */
    public String label() {
        return label(version);
    }

    public static String label(int version) {
        return "v" + version;
    }

    /** The run that registered it ({@code metrics.json}'s {@code run_id}), or null for one registered by hand. */
    public String runId() {
        return metrics.hasNonNull("run_id") ? metrics.get("run_id").asText() : null;
    }
}
