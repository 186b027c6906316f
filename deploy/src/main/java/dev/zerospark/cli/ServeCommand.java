package dev.zerospark.cli;

import dev.zerospark.generate.TextCompleter;
import dev.zerospark.openai.ApiKey;
import dev.zerospark.serve.BatchModel;
import dev.zerospark.serve.ModelServer;
import dev.zerospark.serve.ServeSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * {@code zerospark serve}: an OpenAI-compatible HTTP server over a local HF model directory, for serving a
 * fine-tuned model privately and for the service pipeline's tests. Runs until SIGTERM or Ctrl-C, then answers what
 * it has queued before it exits.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Serve a local model over an OpenAI-compatible HTTP API (/v1/models, /v1/completions, /v1/chat/completions).")
public final class ServeCommand implements Runnable {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "HF model directory or file: URI (required).") String model;
    @Option(names = "--port", required = true, paramLabel = "P", description = "TCP port; 0 picks a free one and prints it (required).") int port;
    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1", description = "Address to bind (default ${DEFAULT-VALUE}: this machine only).") String host;
    @Option(names = "--api-key-env", paramLabel = "VAR", description = "Require 'Authorization: Bearer <key>' with the key in environment variable VAR (optional; default: no auth).") String apiKeyEnv;
    @Option(names = "--model-name", paramLabel = "NAME", description = "Model id in /v1/models and requests' model field (optional; default: the directory's name).") String modelName;
    @Option(names = "--max-concurrency", paramLabel = "N", defaultValue = "8", description = "Requests generated together in one batch at most (default ${DEFAULT-VALUE}).") int maxConcurrency;
    @Option(names = "--queue-size", paramLabel = "N", defaultValue = "64", description = "Requests waiting for the model at most; more get 429 with Retry-After (default ${DEFAULT-VALUE}).") int queueSize;
    @Option(names = "--max-body-bytes", paramLabel = "N", defaultValue = "1048576", description = "Larger request bodies get 413 (default ${DEFAULT-VALUE}).") long maxBodyBytes;
    @Option(names = "--max-tokens-cap", paramLabel = "N", defaultValue = "512", description = "Larger max_tokens get 400 (default ${DEFAULT-VALUE}).") int maxTokensCap;
    @Option(names = "--default-max-tokens", paramLabel = "N", defaultValue = "64", description = "max_tokens of a request that gives none (default ${DEFAULT-VALUE}).") int defaultMaxTokens;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** Set once listening, so a test (or an embedding program) can stop the command the way SIGTERM does. */
    volatile ModelServer server;
    final CountDownLatch started = new CountDownLatch(1);

    /** The settings the flags describe; a bad value is a usage error naming its flag. */
    ServeSettings settings(Path dir) {
        positive("--max-concurrency", maxConcurrency);
        positive("--queue-size", queueSize);
        positive("--max-body-bytes", maxBodyBytes);
        positive("--max-tokens-cap", maxTokensCap);
        positive("--default-max-tokens", defaultMaxTokens);
        if (defaultMaxTokens > maxTokensCap) throw usage("--default-max-tokens " + defaultMaxTokens + " is above --max-tokens-cap " + maxTokensCap);
        if (port < 0 || port > 65535) throw usage("--port must be in [0, 65535], got " + port);
        ApiKey key = null;
        if (apiKeyEnv != null) {
            try {
                key = ApiKey.fromEnv(apiKeyEnv);
            } catch (IllegalArgumentException e) {
                throw usage("--api-key-env: " + e.getMessage());
            }
        }
        String id = modelName != null ? modelName : dir.toAbsolutePath().normalize().getFileName().toString();
        return new ServeSettings(host, port, id, key, maxConcurrency, queueSize, maxBodyBytes, maxTokensCap, defaultMaxTokens);
    }

    @Override
    public void run() {
        Path dir = CompleteCommand.modelDir(model);
        ServeSettings settings = settings(dir);
        PrintWriter out = spec.commandLine().getOut();
        try (TextCompleter completer = TextCompleter.open(dir);
             ModelServer s = ModelServer.start(settings, BatchModel.of(completer))) {
            // SIGTERM and Ctrl-C run shutdown hooks: stop taking requests and answer the queued ones before exit
            Thread hook = new Thread(s::close, "serve-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            out.printf("serving %s from %s on http://%s:%d/v1 (batches of up to %d, %d may wait, auth %s); SIGTERM or Ctrl-C stops%n",
                    settings.modelId(), dir, host, s.port(), maxConcurrency, queueSize, apiKeyEnv == null ? "off" : "from $" + apiKeyEnv);
            out.flush();
            server = s;
            started.countDown();
            s.awaitClosed();
            removeHook(hook);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve " + dir.toAbsolutePath() + " on " + host + ":" + port + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The JVM refuses to drop a hook once it is shutting down; then the hook is what closed the server. */
    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // exiting on SIGTERM: the hook is running or has run, nothing to remove
        }
    }

    private void positive(String flag, long value) {
        if (value < 1) throw usage(flag + " must be at least 1, got " + value);
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
