package dev.zerospark.serve;

import dev.zerospark.serve.internal.HttpModelServer;
import java.io.IOException;

/**
 * An OpenAI-compatible HTTP server over one local model: {@code /v1/models}, {@code /v1/completions},
 * {@code /v1/chat/completions}. A single model thread drains the request queue and runs what it finds as one
 * left-padded batch, so concurrent clients share forward passes.
 */
public interface ModelServer extends AutoCloseable {
    /** Binds and starts serving {@code model}; the caller keeps the model and closes it after this server. */
    static ModelServer start(ServeSettings settings, BatchModel model) throws IOException {
        return HttpModelServer.start(settings, model);
    }

    /** The bound port (the chosen one when the settings asked for 0). */
    int port();

    /** Batches run so far (each one call of the model). */
    long batches();

    /** Requests waiting for the model thread now. */
    int queued();

    /** Blocks until {@link #close()} has finished, from whichever thread called it. */
    void awaitClosed() throws InterruptedException;

    /**
     * Stops gracefully: new requests get 503, queued and running ones finish and are answered, then the listener
     * closes. Idempotent.
     */
    @Override
    void close();
}
