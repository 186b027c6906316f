package dev.zerospark.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A real HTTP server on loopback whose answers a test scripts: each request is recorded (arrival time, headers,
 * body) and answered by the {@link Script}, which may fail it, delay it on a latch, or answer a completion.
 */
final class ScriptedServer implements AutoCloseable {
    /** The answer to the {@code n}-th request (0-based). */
    interface Script {
        Reply answer(int n, Seen request) throws Exception;
    }

    record Seen(long arrivalNanos, String path, String authorization, JsonNode body) {}

    record Reply(int status, String body, String retryAfter) {
        static Reply completion(String text) {
            return new Reply(200, "{\"id\":\"x\",\"choices\":[{\"index\":0,\"text\":" + quote(text) + ",\"message\":{\"role\":\"assistant\",\"content\":"
                    + quote(text) + "},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}", null);
        }

        static Reply error(int status, String message, String param, String retryAfter) {
            return new Reply(status, "{\"error\":{\"message\":" + quote(message) + ",\"type\":\"invalid_request_error\",\"param\":"
                    + (param == null ? "null" : quote(param)) + ",\"code\":null}}", retryAfter);
        }

        private static String quote(String s) {
            try {
                return new ObjectMapper().writeValueAsString(s);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private final HttpServer server;
    private final ExecutorService threads;
    final List<Seen> seen = new CopyOnWriteArrayList<>();

    private ScriptedServer(HttpServer server, ExecutorService threads) {
        this.server = server;
        this.threads = threads;
    }

    static ScriptedServer start(Script script) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        ExecutorService threads = Executors.newCachedThreadPool();
        ScriptedServer scripted = new ScriptedServer(s, threads);
        s.setExecutor(threads);
        s.createContext("/", ex -> scripted.handle(ex, script));
        s.start();
        return scripted;
    }

    private void handle(HttpExchange ex, Script script) throws IOException {
        try (ex) {
            long at = System.nanoTime();
            JsonNode body = new ObjectMapper().readTree(ex.getRequestBody().readAllBytes());
            Seen s = new Seen(at, ex.getRequestURI().getPath(), ex.getRequestHeaders().getFirst("Authorization"), body);
            int n;
            synchronized (seen) {
                n = seen.size();
                seen.add(s);
            }
            Reply r;
            try {
                r = script.answer(n, s);
            } catch (Exception e) {
                r = new Reply(599, "script failed: " + e, null);
            }
            byte[] out = r.body().getBytes(StandardCharsets.UTF_8);
            if (r.retryAfter() != null) ex.getResponseHeaders().add("Retry-After", r.retryAfter());
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(r.status(), out.length);
            ex.getResponseBody().write(out);
        } catch (IOException e) {
            // the client gave up on this exchange (a timeout test): nothing left to answer
        }
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
