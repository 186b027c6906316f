package dev.zerospark.serve;

import dev.zerospark.openai.ApiKey;

/**
 * How {@code zerospark serve} listens and what it admits.
 *
 * @param host address to bind (loopback by default: serving beyond the machine is a deliberate choice)
 * @param port TCP port; 0 picks a free one ({@link ModelServer#port()} says which)
 * @param modelId the name {@code /v1/models} lists and requests may give as {@code model}
 * @param apiKey required as {@code Authorization: Bearer ...} on every request; null serves without auth
 * @param maxConcurrency requests generated together in one batch at most
 * @param queueSize requests waiting for the model at most; one more gets 429 with {@code Retry-After}
 * @param maxBodyBytes larger request bodies get 413
 * @param maxTokensCap larger {@code max_tokens} get 400
 * @param defaultMaxTokens {@code max_tokens} when a request gives none (at most half the model's context)
 */
public record ServeSettings(String host, int port, String modelId, ApiKey apiKey, int maxConcurrency, int queueSize,
                            long maxBodyBytes, int maxTokensCap, int defaultMaxTokens) {
    public ServeSettings {
        if (host == null || host.isBlank()) throw new IllegalArgumentException("host is empty");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
        if (modelId == null || modelId.isBlank()) throw new IllegalArgumentException("model id is empty");
        if (maxConcurrency < 1) throw new IllegalArgumentException("max concurrency must be >= 1, got " + maxConcurrency);
        if (queueSize < 1) throw new IllegalArgumentException("queue size must be >= 1, got " + queueSize);
        if (maxBodyBytes < 1) throw new IllegalArgumentException("max body bytes must be >= 1, got " + maxBodyBytes);
        if (maxTokensCap < 1) throw new IllegalArgumentException("max_tokens cap must be >= 1, got " + maxTokensCap);
        if (defaultMaxTokens < 1 || defaultMaxTokens > maxTokensCap) {
            throw new IllegalArgumentException("default max_tokens must be in [1, " + maxTokensCap + "], got " + defaultMaxTokens);
        }
    }

    /** Loopback, no auth, batches of 8, 64 waiting, 1 MiB bodies, max_tokens up to 512 (64 when not given). */
    public static ServeSettings loopback(int port, String modelId) {
        return new ServeSettings("127.0.0.1", port, modelId, null, 8, 64, 1 << 20, 512, 64);
    }

    public ServeSettings withApiKey(ApiKey key) {
        return new ServeSettings(host, port, modelId, key, maxConcurrency, queueSize, maxBodyBytes, maxTokensCap, defaultMaxTokens);
    }

    public ServeSettings withLimits(int maxConcurrency, int queueSize, long maxBodyBytes, int maxTokensCap) {
        return new ServeSettings(host, port, modelId, apiKey, maxConcurrency, queueSize, maxBodyBytes, maxTokensCap,
                Math.min(defaultMaxTokens, maxTokensCap));
    }
}
