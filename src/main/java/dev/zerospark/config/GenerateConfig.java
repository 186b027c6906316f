package dev.zerospark.config;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Text generation ({@code complete}, batch riddles). Greedy when temperature is 0. */
public record GenerateConfig(
        @JsonPropertyDescription("HF model directory or URI (required)") String model,
        @JsonPropertyDescription("tokens to generate at most (default 64)") Integer maxNewTokens,
        @JsonPropertyDescription("sampling temperature; 0 means greedy (default 0)") Double temperature,
        @JsonPropertyDescription("keep only the k most likely tokens; 0 disables (default 0)") Integer topK,
        @JsonPropertyDescription("nucleus sampling mass in (0, 1]; 1 disables (default 1)") Double topP,
        @JsonPropertyDescription("random seed for sampling (default 0)") Long seed,
        @JsonPropertyDescription("a prompt longer than the context minus max_new_tokens: left = cut its oldest tokens with a warning, error = refuse (default left)") String truncate) {

    public GenerateConfig {
        maxNewTokens = Check.positive("max_new_tokens", Check.or(maxNewTokens, 64));
        temperature = Check.or(temperature, 0.0);
        if (temperature < 0) throw Check.invalid("temperature", "must be >= 0, got " + temperature);
        topK = Check.nonNegative("top_k", Check.or(topK, 0));
        topP = Check.or(topP, 1.0);
        if (!(topP > 0 && topP <= 1)) throw Check.invalid("top_p", "must be in (0, 1], got " + topP);
        seed = Check.or(seed, 0L);
        truncate = Check.oneOf("truncate", Check.or(truncate, "left"), "left", "error");
    }

    public static GenerateConfig defaults() {
        return new GenerateConfig(null, null, null, null, null, null, null);
    }
}
