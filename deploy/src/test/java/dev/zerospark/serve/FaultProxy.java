package dev.zerospark.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback proxy in front of {@code serve} that fails the requests its {@link Faults} picks (as a flaky gateway
 * would) and forwards the rest, recording every status it answered.
 */
public final class FaultProxy implements AutoCloseable {
    /** For the {@code n}-th request (0-based): a fault to answer instead of forwarding, or null to forward. */
    public interface Faults {
        Fault at(int n);
    }

    public record Fault(int status, String retryAfter) {}

    private final HttpServer server;
    private final ExecutorService threads;
    private final HttpClient http = HttpClient.newHttpClient();
    private final AtomicInteger requests = new AtomicInteger();
    final List<Integer> statuses = new CopyOnWriteArrayList<>();

    private FaultProxy(HttpServer server, ExecutorService threads) {
        this.server = server;
        this.threads = threads;
    }

    public static FaultProxy start(int targetPort, Faults faults) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        ExecutorService threads = Executors.newCachedThreadPool();
        FaultProxy proxy = new FaultProxy(s, threads);
        s.setExecutor(threads);
        s.createContext("/", ex -> proxy.handle(ex, targetPort, faults));
        s.start();
        return proxy;
    }

    private void handle(HttpExchange ex, int targetPort, Faults faults) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            Fault f = faults.at(requests.getAndIncrement());
            int status;
            byte[] out;
            String retryAfter;
            if (f != null) {
                status = f.status();
                retryAfter = f.retryAfter();
                out = ("{\"error\":{\"message\":\"injected " + status + "\",\"type\":\"server_error\",\"param\":null,\"code\":null}}")
                        .getBytes(StandardCharsets.UTF_8);
            } else {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + targetPort + ex.getRequestURI().getPath()))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
                String auth = ex.getRequestHeaders().getFirst("Authorization");
                if (auth != null) b.header("Authorization", auth);
                HttpResponse<byte[]> r;
                try {
                    r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("proxy interrupted", e);
                }
                status = r.statusCode();
                retryAfter = r.headers().firstValue("Retry-After").orElse(null);
                out = r.body();
            }
            statuses.add(status);
            if (retryAfter != null) ex.getResponseHeaders().add("Retry-After", retryAfter);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, out.length);
            ex.getResponseBody().write(out);
        }
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public long count(int status) {
        return statuses.stream().filter(s -> s == status).count();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
