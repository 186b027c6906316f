package dev.zerospark.generate;

import dev.zerospark.config.UsageError;

/** A prompt does not fit the model's context with room for the new tokens, and cutting it was not allowed. */
public final class PromptTooLongException extends RuntimeException implements UsageError {
    private PromptTooLongException(String message) {
        super(message);
    }

    static PromptTooLongException prompt(int index, int promptTokens, int context, int maxNewTokens) {
        return new PromptTooLongException("prompt " + (index + 1) + " has " + promptTokens + " tokens, but the model's context of "
                + context + " leaves " + (context - maxNewTokens) + " after max_new_tokens " + maxNewTokens
                + " (use --truncate left to cut it from the left, or fewer --max-new-tokens)");
    }

    static PromptTooLongException noRoom(int context, int maxNewTokens) {
        return new PromptTooLongException("max_new_tokens " + maxNewTokens + " leaves no room for a prompt in the model's context of "
                + context + " tokens");
    }
}
