package dev.zerospark.generate;

import java.util.List;

/**
 * Decoding settings. Greedy when {@code temperature == 0}; otherwise sampling with temperature, then top-k
 * (0 = off), then top-p (1 = off), from a {@link java.util.Random} seeded with {@code seed}.
 *
 * @param eosTokenIds a row finishes when it produces one of these (kept in the output, like HF)
 * @param padTokenId written after a row has finished; HF uses the EOS id when the model has no pad id
 * @param stopStrings a row also finishes once its decoded new text contains one of these (needs a decoder)
 */
public record GenerationOptions(int maxNewTokens, double temperature, int topK, double topP, long seed,
                                List<Integer> eosTokenIds, int padTokenId, List<String> stopStrings) {
    public GenerationOptions {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max_new_tokens must be >= 1, got " + maxNewTokens);
        }
        if (!(temperature >= 0)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        eosTokenIds = List.copyOf(eosTokenIds);
        stopStrings = List.copyOf(stopStrings);
    }

    public static GenerationOptions greedy(int maxNewTokens, List<Integer> eos, int pad) {
        return new GenerationOptions(maxNewTokens, 0, 0, 1, 0, eos, pad, List.of());
    }

    public boolean isGreedy() {
        return temperature == 0;
    }
}
