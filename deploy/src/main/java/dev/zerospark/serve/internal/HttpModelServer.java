package dev.zerospark.serve.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.zerospark.generate.FinishReason;
import dev.zerospark.generate.TextCompleter.Completion;
import dev.zerospark.serve.BatchModel;
import dev.zerospark.serve.ModelServer;
import dev.zerospark.serve.ServeSettings;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ModelServer} on the JDK's {@link HttpServer}. Handler threads parse and check a request, queue it for the
 * {@link BatchWorker} and wait for its answer; there are enough of them for every request the queue and a full
 * batch can hold, plus a few to turn away the rest with 429 at once.
 */
public final class HttpModelServer implements ModelServer {
    private static final Logger LOG = LoggerFactory.getLogger(HttpModelServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SPARE_HANDLERS = 4;
    private static final String NODELAY = "sun.net.httpserver.nodelay";

    private final ServeSettings settings;
    private final HttpServer http;
    private final ExecutorService handlers;
    private final BatchWorker worker;
    private final RequestParser parser;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicLong ids = new AtomicLong();

    private HttpModelServer(ServeSettings settings, HttpServer http, ExecutorService handlers, BatchWorker worker, RequestParser parser) {
        this.settings = settings;
        this.http = http;
        this.handlers = handlers;
        this.worker = worker;
        this.parser = parser;
    }

    public static HttpModelServer start(ServeSettings settings, BatchModel model) throws IOException {
        // Without TCP_NODELAY the JDK server's separate header and body writes meet the client's delayed ACK: about
        // 40 ms added to every answer on loopback (bench serve, one client: p50 58 ms -> 31 ms). The JDK reads this
        // property once, when its first server starts, so a user's own -D setting wins and later servers share it.
        if (System.getProperty(NODELAY) == null) System.setProperty(NODELAY, "true");
        HttpServer http = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), 0);
        AtomicInteger n = new AtomicInteger();
        ExecutorService handlers = Executors.newFixedThreadPool(settings.maxConcurrency() + settings.queueSize() + SPARE_HANDLERS, r -> {
            Thread t = new Thread(r, "serve-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        BatchWorker worker = new BatchWorker(model, settings.maxConcurrency(), settings.queueSize());
        HttpModelServer server = new HttpModelServer(settings, http, handlers, worker, new RequestParser(settings, model));
        http.setExecutor(handlers);
        http.createContext("/", server::handle);
        worker.start();
        http.start();
        LOG.info("serving {} on http://{}:{}/v1", settings.modelId(), settings.host(), server.port());
        return server;
    }

    private void handle(HttpExchange ex) {
        try (ex) {
            try {
                ObjectNode answer = answer(ex);
                send(ex, 200, answer);
            } catch (ApiError e) {
                if (e.retryAfterSeconds() != null) ex.getResponseHeaders().add("Retry-After", e.retryAfterSeconds());
                send(ex, e.status(), e.body(JSON));
            } catch (RuntimeException e) {
                LOG.error("{} {} failed", ex.getRequestMethod(), ex.getRequestURI().getPath(), e);
                send(ex, 500, ApiError.modelFailed(e).body(JSON));
            }
        } catch (IOException e) {
            // the client went away before its answer was written; nothing is left to tell it
            LOG.debug("cannot answer {} {}: {}", ex.getRequestMethod(), ex.getRequestURI().getPath(), e.toString());
        }
    }

    private ObjectNode answer(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath().replaceAll("/+$", "");
        String method = ex.getRequestMethod();
        boolean known = path.equals("/v1/models") || path.equals("/v1/completions") || path.equals("/v1/chat/completions");
        if (!known) throw ApiError.notFound(path);
        if (settings.apiKey() != null && !settings.apiKey().matchesBearer(ex.getRequestHeaders().getFirst("Authorization"))) {
            throw ApiError.unauthorized();
        }
        if (path.equals("/v1/models")) {
            if (!method.equals("GET")) throw ApiError.methodNotAllowed(method, path, "GET");
            return models();
        }
        if (!method.equals("POST")) throw ApiError.methodNotAllowed(method, path, "POST");
        JsonNode body = readBody(ex);
        boolean chat = path.equals("/v1/chat/completions");
        RequestParser.Parsed p = chat ? parser.chat(body) : parser.completions(body);
        Completion c;
        try {
            c = worker.submit(p.prompt(), p.options(), p.sampled()).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.shuttingDown();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof ApiError a ? a : ApiError.modelFailed(new IllegalStateException(e.getCause()));
        }
        return chat ? chatResponse(c) : completionResponse(c);
    }

    private JsonNode readBody(HttpExchange ex) throws IOException {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.strip()) > settings.maxBodyBytes()) throw ApiError.tooLarge(settings.maxBodyBytes());
            } catch (NumberFormatException e) {
                throw ApiError.badJson("Content-Length is not a number: " + length);
            }
        }
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, settings.maxBodyBytes() + 1)); // chunked bodies have no length
        }
        if (bytes.length > settings.maxBodyBytes()) throw ApiError.tooLarge(settings.maxBodyBytes());
        try {
            JsonNode body = JSON.readTree(bytes);
            if (body == null) throw ApiError.badJson("the body is empty");
            return body;
        } catch (JsonProcessingException e) {
            throw ApiError.badJson(e.getOriginalMessage());
        }
    }

    private ObjectNode models() {
        ObjectNode root = JSON.createObjectNode().put("object", "list");
        root.putArray("data").addObject().put("id", settings.modelId()).put("object", "model").put("created", 0).put("owned_by", "zerospark");
        return root;
    }

    private ObjectNode completionResponse(Completion c) {
        ObjectNode root = header("cmpl-", "text_completion");
        root.putArray("choices").addObject().put("index", 0).put("text", c.text()).putNull("logprobs")
                .put("finish_reason", finishReason(c.finishReason()));
        usage(root, c);
        return root;
    }

    private ObjectNode chatResponse(Completion c) {
        ObjectNode root = header("chatcmpl-", "chat.completion");
        ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", c.text());
        choice.put("finish_reason", finishReason(c.finishReason()));
        usage(root, c);
        return root;
    }

    private ObjectNode header(String idPrefix, String object) {
        return JSON.createObjectNode().put("id", idPrefix + ids.incrementAndGet()).put("object", object)
                .put("created", System.currentTimeMillis() / 1000).put("model", settings.modelId());
    }

    private static void usage(ObjectNode root, Completion c) {
        root.putObject("usage").put("prompt_tokens", c.promptTokens()).put("completion_tokens", c.tokens().length)
                .put("total_tokens", c.promptTokens() + c.tokens().length);
    }

    /** OpenAI's names: {@code stop} for an EOS token or a stop string, {@code length} for the max_tokens limit. */
    private static String finishReason(FinishReason r) {
        return r == FinishReason.MAX_NEW_TOKENS ? "length" : "stop";
    }

    private static void send(HttpExchange ex, int status, ObjectNode body) throws IOException {
        byte[] out = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, out.length);
        ex.getResponseBody().write(out);
    }

    @Override
    public int port() {
        return http.getAddress().getPort();
    }

    @Override
    public long batches() {
        return worker.batches();
    }

    @Override
    public int queued() {
        return worker.queued();
    }

    @Override
    public void awaitClosed() throws InterruptedException {
        closed.await();
    }

    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        try {
            worker.close(); // queued and running requests are answered; new ones get 503
            http.stop(1); // gives handlers whose answers are ready a second to write them, then closes the socket
            handlers.shutdown();
            if (!handlers.awaitTermination(5, TimeUnit.SECONDS)) LOG.warn("HTTP handlers still busy 5 s after stop");
            LOG.info("stopped serving {} after {} batches", settings.modelId(), worker.batches());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            handlers.shutdownNow();
        } finally {
            closed.countDown();
        }
    }
}
