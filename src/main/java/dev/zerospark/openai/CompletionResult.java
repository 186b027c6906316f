package dev.zerospark.openai;

import java.time.Duration;

/**
 * A finished request.
 *
 * @param text the completion (the assistant message's content for chat)
 * @param finishReason the server's {@code finish_reason} ({@code stop}, {@code length}, ...); null if it sent none
 * @param promptTokens {@code usage.prompt_tokens}; null when the server does not report usage
 * @param completionTokens {@code usage.completion_tokens}; null when the server does not report usage
 * @param latency from the first attempt's start to the answer, backoff waits included
 * @param attempts HTTP attempts made, 1 when the first succeeded
 */
public record CompletionResult(String text, String finishReason, Integer promptTokens, Integer completionTokens,
                               Duration latency, int attempts) {}
