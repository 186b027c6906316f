package dev.zerospark.data.generate.internal;

import dev.zerospark.template.PromptTemplate;
import java.io.Serializable;
import java.util.List;

/**
 * The settings that change a row's output, and the hash of them that keys the generations table: template id and
 * text (with its own stop strings and article budget), max_new_tokens, temperature, top_k, top_p, seed, the stop
 * strings in effect, and dtype. batch_tokens and partitions are left out: they change how rows are grouped, not what
 * a row generates. {@code variant} holds what else changes the output, in the same one-line-per-setting form: the
 * few-shot examples table (with its version) and shots, the service's endpoint API; empty for a local run without
 * examples, so those keep the hashes they had before it existed.
 */
public record GenerationParams(String template, String templateId, String templateSha256, int maxNewTokens, double temperature,
                               int topK, double topP, long seed, List<String> stop, String dtype, int batchTokens, String variant) implements Serializable {
    public GenerationParams {
        stop = List.copyOf(stop);
    }

    /** {@code stop} null means the template's own stop strings. */
    public static GenerationParams of(String templateRef, PromptTemplate t, int maxNewTokens, double temperature, int topK, double topP,
                                      long seed, List<String> stop, String dtype, int batchTokens) {
        String templateHash = ModelFiles.sha256(t.text() + "\u0000" + String.join("\u0001", t.stop()) + "\u0000" + t.maxArticleTokens());
        return new GenerationParams(templateRef, t.id(), templateHash, maxNewTokens, temperature, topK, topP, seed,
                stop != null ? stop : t.stop(), dtype, batchTokens, "");
    }

    /** These parameters with {@code line} ({@code name=value}) added to what the hash covers. */
    public GenerationParams with(String line) {
        return new GenerationParams(template, templateId, templateSha256, maxNewTokens, temperature, topK, topP, seed, stop, dtype,
                batchTokens, variant + "\n" + line);
    }

    public String hash() {
        // One line per setting, in a fixed order, with Java's shortest round-trip doubles: equal settings give equal text.
        String canonical = "template_id=" + templateId + "\ntemplate_sha256=" + templateSha256 + "\nmax_new_tokens=" + maxNewTokens
                + "\ntemperature=" + temperature + "\ntop_k=" + topK + "\ntop_p=" + topP + "\nseed=" + seed
                + "\nstop=" + String.join("\u0001", stop) + "\ndtype=" + dtype + variant;
        return ModelFiles.sha256(canonical);
    }
}
