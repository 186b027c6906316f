package dev.zerospark.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/** The JDK HttpClient against a server on loopback, for tests. */
final class ServeHttp {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private ServeHttp() {}

    static CompletableFuture<HttpResponse<String>> postAsync(int port, String path, String body, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) b.header("Authorization", "Bearer " + key);
        return HTTP.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(int port, String path, String body, String key) throws Exception {
        return postAsync(port, path, body, key).get(60, java.util.concurrent.TimeUnit.SECONDS);
    }

    static HttpResponse<String> get(int port, String path, String key) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET();
        if (key != null) b.header("Authorization", "Bearer " + key);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    static String body(Object... fieldsAndValues) throws IOException {
        var n = JSON.createObjectNode();
        for (int i = 0; i < fieldsAndValues.length; i += 2) n.set((String) fieldsAndValues[i], JSON.valueToTree(fieldsAndValues[i + 1]));
        return JSON.writeValueAsString(n);
    }

    /** Waits for a state the server reaches on its own threads (a queue filling up); fails after 30 s. */
    static void awaitState(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // a poll of the condition, not a guess at how long it takes
        }
    }
}
