package dev.zerospark.data.generate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What a {@code generate} run did; {@link #toJson} is the command's last stdout line.
 *
 * @param articles input rows selected (after {@code where} and {@code limit})
 * @param generated rows this run inserted, errors included
 * @param alreadyDone selected rows the output already held for this model, template and parameters
 * @param errors of {@code generated}, rows with {@code finish_reason = error}
 * @param truncated of {@code generated}, rows whose article was cut to fit the context
 * @param tokensPerS completion tokens per second of generation (the chunks' wall time, commits included)
 * @param outputVersion the output table's version after the run
 * @param examplesDropped few-shot examples left out of this run's prompts to fit the context, over all rows
 */
public record GenerateSummary(String runId, long inputVersion, long articles, long generated, long alreadyDone,
                              long errors, long truncated, long promptTokens, long completionTokens, double tokensPerS,
                              long outputVersion, long examplesDropped) {
    public String toJson() {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("run_id", runId);
        n.put("input_version", inputVersion);
        n.put("articles", articles);
        n.put("generated", generated);
        n.put("already_done", alreadyDone);
        n.put("errors", errors);
        n.put("truncated", truncated);
        n.put("examples_dropped", examplesDropped);
        n.put("prompt_tokens", promptTokens);
        n.put("completion_tokens", completionTokens);
        n.put("tokens_per_s", Math.round(tokensPerS * 10) / 10.0);
        n.put("output_version", outputVersion);
        return n.toString();
    }
}
