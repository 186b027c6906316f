package dev.zerospark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.generate.GenerationOptions;
import dev.zerospark.generate.TextCompleter;
import dev.zerospark.openai.ClientSettings;
import dev.zerospark.openai.OpenAiClient;
import dev.zerospark.openai.RequestOptions;
import dev.zerospark.serve.BatchModel;
import dev.zerospark.serve.ModelServer;
import dev.zerospark.serve.ServeSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code zerospark bench serve}: requests/s and p50/p99 latency of {@code serve} on loopback with N closed-loop
 * clients (each sends its next request when the last is answered, through the project's OpenAI client), next to the
 * same prompts through the in-process {@link TextCompleter} in batches of N: the server's batching at its best, with
 * no HTTP. Greedy decoding, so both sides do the same work.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Requests/s and p50/p99 latency of zerospark serve at several client counts, next to the in-process model.")
public final class BenchServeCommand implements Runnable {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "HF model directory or file: URI (required).") String model;
    @Option(names = "--clients", paramLabel = "N,...", split = ",", defaultValue = "1,4,16", description = "Concurrent client counts, one row each (default ${DEFAULT-VALUE}).") List<Integer> clients;
    @Option(names = "--requests", paramLabel = "N", defaultValue = "48", description = "Requests per row (default ${DEFAULT-VALUE}).") int requests;
    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "16", description = "Tokens generated per request (default ${DEFAULT-VALUE}).") int maxTokens;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    private static final String[] WORDS = ("the company said it agreed to acquire shares of stock in a merger valued at million dollars "
            + "board directors approved pending regulatory review analysts expected quarterly earnings rose profits").split(" ");

    /** Latencies of one side of a row, in milliseconds, and the wall time it took. */
    record Timing(double[] latencyMs, double seconds) {
        double perSecond() {
            return latencyMs.length / seconds;
        }

        /** Nearest-rank percentile. */
        double percentile(double p) {
            double[] sorted = latencyMs.clone();
            Arrays.sort(sorted);
            return sorted[Math.max(0, (int) Math.ceil(p / 100 * sorted.length) - 1)];
        }
    }

    @Override
    public void run() {
        if (requests < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--requests must be at least 1, got " + requests);
        if (maxTokens < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--max-tokens must be at least 1, got " + maxTokens);
        for (int c : clients) if (c < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--clients must be at least 1 each, got " + c);
        Path dir = CompleteCommand.modelDir(model);
        int most = clients.stream().mapToInt(Integer::intValue).max().orElse(1);
        List<String> prompts = prompts(requests);
        PrintWriter out = spec.commandLine().getOut();
        try (TextCompleter completer = TextCompleter.open(dir)) {
            GenerationOptions greedy = completer.options(maxTokens, 0, 0, 1, 0, List.of());
            ServeSettings settings = ServeSettings.loopback(0, "bench").withLimits(most, 2 * most, 1 << 20, Math.max(maxTokens, 1));
            try (ModelServer server = ModelServer.start(settings, BatchModel.of(completer));
                 OpenAiClient client = OpenAiClient.create(ClientSettings.of(URI.create("http://127.0.0.1:" + server.port()), "bench")
                         .withLimits(most, 0).withRetries(3, Duration.ofMillis(50), Duration.ofSeconds(1)), null)) {
                completer.complete(prompts.subList(0, Math.min(4, prompts.size())), greedy); // warm-up: JIT and the engine's first calls
                client.complete(prompts.get(0), RequestOptions.greedy(maxTokens));
                out.printf("%d requests per row, %d new tokens each (greedy), prompts of %d-%d words; serve on loopback batches up to %d%n",
                        requests, maxTokens, 4, 12, most);
                out.printf("%-8s | %10s %10s %10s %10s | %10s %10s %10s%n", "clients", "serve r/s", "p50 ms", "p99 ms", "batch avg",
                        "in-proc r/s", "p50 ms", "p99 ms");
                ObjectMapper m = new ObjectMapper();
                ArrayNode rows = m.createArrayNode();
                for (int c : clients) {
                    long before = server.batches();
                    Timing served = served(client, prompts, c);
                    double batchAvg = (double) requests / (server.batches() - before);
                    Timing local = inProcess(completer, greedy, prompts, c);
                    out.printf("%-8d | %10.1f %10.1f %10.1f %10.2f | %10.1f %10.1f %10.1f%n", c, served.perSecond(), served.percentile(50),
                            served.percentile(99), batchAvg, local.perSecond(), local.percentile(50), local.percentile(99));
                    ObjectNode row = rows.addObject().put("clients", c);
                    row.putObject("serve").put("requests_per_s", served.perSecond()).put("p50_ms", served.percentile(50))
                            .put("p99_ms", served.percentile(99)).put("mean_batch", batchAvg);
                    row.putObject("in_process").put("requests_per_s", local.perSecond()).put("p50_ms", local.percentile(50))
                            .put("p99_ms", local.percentile(99));
                }
                ObjectNode j = m.createObjectNode().put("bench", "serve").put("model", dir.getFileName().toString())
                        .put("requests", requests).put("max_tokens", maxTokens);
                j.set("rows", rows);
                out.println(j);
                out.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load or serve " + dir.toAbsolutePath(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while warming up serve", e);
        }
    }

    /** {@code clients} threads, each sending its next prompt when its last is answered. */
    private Timing served(OpenAiClient client, List<String> prompts, int clients) {
        double[] latency = new double[prompts.size()];
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long start = System.nanoTime();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < clients; t++) {
                running.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < prompts.size(); i = next.getAndIncrement()) {
                        long t0 = System.nanoTime();
                        client.complete(prompts.get(i), RequestOptions.greedy(maxTokens));
                        latency[i] = (System.nanoTime() - t0) / 1e6;
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while benchmarking serve", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a request to serve failed: " + e.getCause().getMessage(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
        return new Timing(latency, (System.nanoTime() - start) / 1e9);
    }

    /** The same prompts in batches of {@code clients}; each request's latency is its batch's time. */
    private static Timing inProcess(TextCompleter completer, GenerationOptions greedy, List<String> prompts, int clients) {
        double[] latency = new double[prompts.size()];
        long start = System.nanoTime();
        for (int from = 0; from < prompts.size(); from += clients) {
            int to = Math.min(prompts.size(), from + clients);
            long t0 = System.nanoTime();
            completer.complete(prompts.subList(from, to), greedy, TextCompleter.Truncation.LEFT);
            Arrays.fill(latency, from, to, (System.nanoTime() - t0) / 1e6);
        }
        return new Timing(latency, (System.nanoTime() - start) / 1e9);
    }

    /** Deterministic prompts of 4-12 words. */
    static List<String> prompts(int n) {
        java.util.Random rnd = new java.util.Random(16);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            StringBuilder b = new StringBuilder();
            int words = 4 + rnd.nextInt(9);
            for (int w = 0; w < words; w++) b.append(w == 0 ? "" : " ").append(WORDS[rnd.nextInt(WORDS.length)]);
            out.add(b.toString());
        }
        return out;
    }
}
