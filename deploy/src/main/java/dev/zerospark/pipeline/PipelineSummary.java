package dev.zerospark.pipeline;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * How a run ended. {@link #toJson()} is the CLI's last stdout line; {@link #exitCode()} its exit code.
 *
 * @param stages     each stage's last record, in stage order
 * @param champion   the champion after the run ({@code v<N>}), null when there is none
 * @param decision   what promote decided and why, null when it did not run
 */
public record PipelineSummary(String runId, Outcome outcome, String failedStage, String error, List<StageRecord> stages,
                              String champion, String decision) {
    public enum Outcome {
        DONE(0), NOTHING_NEW(3), FAILED(4);

        private final int exitCode;

        Outcome(int exitCode) {
            this.exitCode = exitCode;
        }
    }

    /** Exit code of a run that another run's lease kept from starting. */
    public static final int EXIT_LEASE_HELD = 5;

    public int exitCode() {
        return outcome.exitCode;
    }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("run_id", runId);
        o.put("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT));
        o.put("exit_code", exitCode());
        if (failedStage != null) o.put("failed_stage", failedStage);
        if (error != null) o.put("error", error);
        ObjectNode s = o.putObject("stages");
        for (StageRecord r : stages) s.put(r.stage(), r.status().value());
        if (champion != null) o.put("champion", champion);
        else o.putNull("champion");
        if (decision != null) o.put("decision", decision);
        return o;
    }
}
