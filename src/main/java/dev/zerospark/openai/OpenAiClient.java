package dev.zerospark.openai;

import dev.zerospark.openai.internal.HttpOpenAiClient;
import java.util.List;

/**
 * A client of an OpenAI-compatible server ({@code /v1/completions}, {@code /v1/chat/completions}). Thread-safe:
 * a batch job holds one per executor and calls it from every task; its concurrency and rate limits apply across
 * those calls. A failed request throws an {@link OpenAiException}, which a job records as that row's error.
 */
public interface OpenAiClient extends AutoCloseable {
    /** Which endpoint a prompt goes to. */
    enum Api {
        /** {@code /v1/chat/completions}, the prompt sent as one user message. */
        CHAT,
        /** {@code /v1/completions}, the prompt sent as is. */
        COMPLETIONS
    }

    /** A client for {@code settings}; {@code apiKey} may be null for a server without auth. Starts no connection. */
    static OpenAiClient create(ClientSettings settings, ApiKey apiKey) {
        return new HttpOpenAiClient(settings, apiKey);
    }

    /** {@code /v1/completions} with {@code prompt}. */
    CompletionResult complete(String prompt, RequestOptions options) throws InterruptedException;

    /** {@code /v1/chat/completions} with {@code messages}; the result's text is the assistant message's content. */
    CompletionResult chat(List<ChatMessage> messages, RequestOptions options) throws InterruptedException;

    /** {@code prompt} through the endpoint {@code api} names (for chat, as a single user message). */
    default CompletionResult send(Api api, String prompt, RequestOptions options) throws InterruptedException {
        return api == Api.CHAT ? chat(List.of(ChatMessage.user(prompt)), options) : complete(prompt, options);
    }

    /** Stops the client's HTTP threads; requests in flight fail. */
    @Override
    void close();
}
