package dev.zerospark.openai;

import java.util.List;

/**
 * Per-request sampling settings, sent as OpenAI's fields of the same names.
 *
 * @param maxTokens {@code max_tokens}, at least 1
 * @param temperature {@code temperature}; 0 asks for greedy decoding
 * @param topP {@code top_p} in (0, 1]
 * @param stop {@code stop} strings (empty: none sent)
 * @param seed {@code seed}; null sends none
 */
public record RequestOptions(int maxTokens, double temperature, double topP, List<String> stop, Long seed) {
    public RequestOptions {
        if (maxTokens < 1) throw new IllegalArgumentException("max_tokens must be >= 1, got " + maxTokens);
        if (!(temperature >= 0)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        stop = stop == null ? List.of() : List.copyOf(stop);
    }

    /** Greedy decoding of at most {@code maxTokens} tokens, no stop strings, no seed. */
    public static RequestOptions greedy(int maxTokens) {
        return new RequestOptions(maxTokens, 0, 1, List.of(), null);
    }
}
