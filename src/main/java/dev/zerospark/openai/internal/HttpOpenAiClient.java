package dev.zerospark.openai.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.openai.ApiKey;
import dev.zerospark.openai.ChatMessage;
import dev.zerospark.openai.ClientSettings;
import dev.zerospark.openai.CompletionResult;
import dev.zerospark.openai.MalformedResponseException;
import dev.zerospark.openai.OpenAiClient;
import dev.zerospark.openai.RequestOptions;
import dev.zerospark.openai.RequestRejectedException;
import dev.zerospark.openai.RetriesExhaustedException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link OpenAiClient} over {@code java.net.http}. Each attempt takes a rate-limit slot and a concurrency permit;
 * the permit is given back during backoff so that waiting requests do not block others. The key goes only into the
 * Authorization header; every text from the server is redacted before it reaches a log line or an exception.
 */
public final class HttpOpenAiClient implements OpenAiClient {
    private static final Logger LOG = LoggerFactory.getLogger(HttpOpenAiClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger CLIENTS = new AtomicInteger();

    private final ClientSettings settings;
    private final ApiKey apiKey;
    private final URI completionsUri;
    private final URI chatUri;
    private final ExecutorService httpThreads;
    private final HttpClient http;
    private final Semaphore inFlight;
    private final RateLimiter rateLimiter;

    public HttpOpenAiClient(ClientSettings settings, ApiKey apiKey) {
        this.settings = settings;
        this.apiKey = apiKey;
        String base = settings.endpoint().toString().replaceAll("/+$", "").replaceAll("/v1$", "");
        this.completionsUri = URI.create(base + "/v1/completions");
        this.chatUri = URI.create(base + "/v1/chat/completions");
        int id = CLIENTS.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        this.httpThreads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "openai-client-" + id + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.http = HttpClient.newBuilder().executor(httpThreads).connectTimeout(settings.requestTimeout()).build();
        this.inFlight = new Semaphore(settings.maxConcurrency(), true);
        this.rateLimiter = new RateLimiter(settings.requestsPerMinute());
    }

    @Override
    public CompletionResult complete(String prompt, RequestOptions options) throws InterruptedException {
        ObjectNode body = body(options);
        body.put("prompt", prompt);
        return send(completionsUri, body, false);
    }

    @Override
    public CompletionResult chat(List<ChatMessage> messages, RequestOptions options) throws InterruptedException {
        ObjectNode body = body(options);
        ArrayNode list = body.putArray("messages");
        for (ChatMessage m : messages) list.addObject().put("role", m.role()).put("content", m.content());
        return send(chatUri, body, true);
    }

    private ObjectNode body(RequestOptions o) {
        ObjectNode b = JSON.createObjectNode();
        b.put("model", settings.model());
        b.put("max_tokens", o.maxTokens());
        b.put("temperature", o.temperature());
        b.put("top_p", o.topP());
        if (!o.stop().isEmpty()) {
            ArrayNode stop = b.putArray("stop");
            o.stop().forEach(stop::add);
        }
        if (o.seed() != null) b.put("seed", o.seed());
        return b;
    }

    private CompletionResult send(URI uri, ObjectNode body, boolean chat) throws InterruptedException {
        byte[] payload;
        try {
            payload = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a request body", e); // a tree of strings and numbers always serializes
        }
        HttpRequest.Builder rb = HttpRequest.newBuilder(uri).timeout(settings.requestTimeout())
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(payload));
        if (apiKey != null) rb.header("Authorization", apiKey.bearerHeader());
        HttpRequest request = rb.build();
        long start = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            rateLimiter.acquire();
            HttpResponse<String> response;
            inFlight.acquire();
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException e) { // HttpTimeoutException, connection refused or reset: all transient
                if (attempt >= settings.maxAttempts()) throw RetriesExhaustedException.noResponse(uri.toString(), attempt, e);
                long wait = Backoff.delayMillis(attempt, settings.initialBackoff(), settings.maxBackoff(), null);
                LOG.warn("POST {} got no response ({}) on attempt {}/{}; retrying in {} ms", uri, e.getClass().getSimpleName(),
                        attempt, settings.maxAttempts(), wait);
                TimeUnit.MILLISECONDS.sleep(wait);
                continue;
            } finally {
                inFlight.release();
            }
            int status = response.statusCode();
            if (status / 100 == 2) return parse(uri, response, chat, attempt, Duration.ofNanos(System.nanoTime() - start));
            String message = errorMessage(response.body());
            if (status != 429 && status / 100 == 4) {
                throw RequestRejectedException.of(uri.toString(), status, attempt, message, errorParam(response.body()));
            }
            if (attempt >= settings.maxAttempts()) throw RetriesExhaustedException.status(uri.toString(), status, attempt, message);
            Long retryAfter = Backoff.retryAfterMillis(response.headers().firstValue("Retry-After").orElse(null));
            long wait = Backoff.delayMillis(attempt, settings.initialBackoff(), settings.maxBackoff(), retryAfter);
            LOG.warn("POST {} got HTTP {} on attempt {}/{} ({}); retrying in {} ms", uri, status, attempt, settings.maxAttempts(),
                    message, wait);
            TimeUnit.MILLISECONDS.sleep(wait);
        }
    }

    private CompletionResult parse(URI uri, HttpResponse<String> response, boolean chat, int attempts, Duration latency) {
        JsonNode root;
        try {
            root = JSON.readTree(response.body());
        } catch (JsonProcessingException e) {
            // the parser's message quotes the body, which could echo the key: keep only the redacted original message
            throw MalformedResponseException.of(uri.toString(), response.statusCode(), attempts, "not JSON: " + redact(e.getOriginalMessage()), null);
        }
        JsonNode choice = root.path("choices").path(0);
        JsonNode text = chat ? choice.path("message").path("content") : choice.path("text");
        if (!text.isTextual()) {
            throw MalformedResponseException.of(uri.toString(), response.statusCode(), attempts,
                    "no string at choices[0]." + (chat ? "message.content" : "text"), null);
        }
        JsonNode usage = root.path("usage");
        return new CompletionResult(text.asText(), choice.path("finish_reason").isTextual() ? choice.get("finish_reason").asText() : null,
                usage.path("prompt_tokens").isInt() ? usage.get("prompt_tokens").asInt() : null,
                usage.path("completion_tokens").isInt() ? usage.get("completion_tokens").asInt() : null, latency, attempts);
    }

    /** OpenAI's {@code error.message}, else the body itself (shortened), redacted either way. */
    private String errorMessage(String body) {
        String m = null;
        try {
            JsonNode e = JSON.readTree(body).path("error");
            if (e.path("message").isTextual()) m = e.get("message").asText();
            else if (e.isTextual()) m = e.asText();
        } catch (JsonProcessingException ignored) {
            // not JSON: the raw body below is the message
        }
        if (m == null) m = body.length() > 300 ? body.substring(0, 300) + "..." : body;
        return redact(m.isBlank() ? "(empty body)" : m);
    }

    private String errorParam(String body) {
        try {
            JsonNode p = JSON.readTree(body).path("error").path("param");
            return p.isTextual() ? redact(p.asText()) : null;
        } catch (JsonProcessingException e) {
            return null; // a body without OpenAI's error shape names no field
        }
    }

    private String redact(String text) {
        return apiKey == null ? text : apiKey.redact(text);
    }

    @Override
    public void close() {
        httpThreads.shutdownNow();
    }

    @Override
    public String toString() {
        return "HttpOpenAiClient[" + settings + "]";
    }
}
