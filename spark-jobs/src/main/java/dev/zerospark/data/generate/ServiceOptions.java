package dev.zerospark.data.generate;

/**
 * The service pipeline: prompts go to an OpenAI-compatible endpoint instead of a model on the executors. Holds no
 * secret, only where the executors find the key: an environment variable or a Spark conf entry (one whose name
 * {@code spark.redaction.regex} matches, so the Spark UI and event logs show it redacted).
 *
 * @param endpoint base URL; a trailing {@code /v1} is optional
 * @param apiModel the request's {@code model}
 * @param apiKeyEnv environment variable holding the key on every executor; null when not used
 * @param apiKeyConf Spark conf entry holding the key; null when not used (both null: no Authorization header)
 * @param api {@code chat} or {@code completions}
 * @param maxConcurrency requests in flight per executor
 * @param requestsPerMinute requests started per minute per executor; 0 = no limit
 */
public record ServiceOptions(String endpoint, String apiModel, String apiKeyEnv, String apiKeyConf, String api,
                             int maxConcurrency, int requestsPerMinute) implements java.io.Serializable {
    public ServiceOptions {
        if (apiKeyEnv != null && apiKeyConf != null) throw new IllegalArgumentException("give api_key_env or api_key_conf, not both");
        if (!"chat".equals(api) && !"completions".equals(api)) throw new IllegalArgumentException("api must be chat or completions, got " + api);
    }
}
