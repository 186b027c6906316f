package dev.zerospark.openai;

import java.io.Serializable;
import java.net.URI;
import java.time.Duration;

/**
 * Where and how an {@link OpenAiClient} sends requests. Holds no secret, so a driver can build it and ship it to
 * executors; the {@link ApiKey} is read where the client is created.
 *
 * @param endpoint base URL, e.g. {@code http://127.0.0.1:8000} or {@code https://api.example.com/v1} (a trailing
 *                 {@code /v1} is optional)
 * @param model the {@code model} field of every request
 * @param requestTimeout one attempt's limit (connect and response); a timeout is retried
 * @param maxAttempts attempts per request, the first included; 429, 5xx, timeouts and connection errors are retried
 * @param initialBackoff wait before the second attempt; each later wait doubles, up to {@code maxBackoff}, and is
 *                       jittered to between half and all of that; a longer {@code Retry-After} wins
 * @param maxBackoff the longest computed wait (a server's {@code Retry-After} may ask for longer)
 * @param maxConcurrency requests in flight at once from this client
 * @param requestsPerMinute attempts started per minute by this client, evenly spaced; 0 means no limit
 */
public record ClientSettings(URI endpoint, String model, Duration requestTimeout, int maxAttempts, Duration initialBackoff,
                             Duration maxBackoff, int maxConcurrency, int requestsPerMinute) implements Serializable {
    public ClientSettings {
        if (endpoint == null || endpoint.getScheme() == null || endpoint.getHost() == null
                || !(endpoint.getScheme().equals("http") || endpoint.getScheme().equals("https"))) {
            throw new IllegalArgumentException("endpoint must be an http(s) URL with a host, got " + endpoint);
        }
        if (model == null || model.isBlank()) throw new IllegalArgumentException("model is empty");
        positive("requestTimeout", requestTimeout);
        if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts must be >= 1, got " + maxAttempts);
        positive("initialBackoff", initialBackoff);
        positive("maxBackoff", maxBackoff);
        if (maxConcurrency < 1) throw new IllegalArgumentException("maxConcurrency must be >= 1, got " + maxConcurrency);
        if (requestsPerMinute < 0) throw new IllegalArgumentException("requestsPerMinute must be >= 0, got " + requestsPerMinute);
    }

    /** 60 s per attempt, 6 attempts, backoff from 0.5 s up to 30 s, 4 in flight, no rate limit. */
    public static ClientSettings of(URI endpoint, String model) {
        return new ClientSettings(endpoint, model, Duration.ofSeconds(60), 6, Duration.ofMillis(500), Duration.ofSeconds(30), 4, 0);
    }

    public ClientSettings withLimits(int maxConcurrency, int requestsPerMinute) {
        return new ClientSettings(endpoint, model, requestTimeout, maxAttempts, initialBackoff, maxBackoff, maxConcurrency, requestsPerMinute);
    }

    public ClientSettings withRetries(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
        return new ClientSettings(endpoint, model, requestTimeout, maxAttempts, initialBackoff, maxBackoff, maxConcurrency, requestsPerMinute);
    }

    public ClientSettings withRequestTimeout(Duration requestTimeout) {
        return new ClientSettings(endpoint, model, requestTimeout, maxAttempts, initialBackoff, maxBackoff, maxConcurrency, requestsPerMinute);
    }

    private static void positive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
}
