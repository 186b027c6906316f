package dev.zerospark.serve;

import dev.zerospark.generate.GenerationOptions;
import dev.zerospark.generate.TextCompleter;
import java.util.List;

/** What the server needs of a model: one left-padded batch per call, options with its EOS and pad ids, its context. */
public interface BatchModel {
    /** Completes {@code prompts} together; a prompt too long for the context is cut from the left. */
    List<TextCompleter.Completion> complete(List<String> prompts, GenerationOptions options);

    /** Options carrying this model's EOS and pad ids (top-k off: OpenAI's API has no top_k). */
    GenerationOptions options(int maxTokens, double temperature, double topP, long seed, List<String> stop);

    /** Prompt plus new tokens at most. */
    int contextLength();

    /** The loaded {@link TextCompleter}; the caller keeps ownership and closes it. */
    static BatchModel of(TextCompleter completer) {
        return new BatchModel() {
            @Override
            public List<TextCompleter.Completion> complete(List<String> prompts, GenerationOptions options) {
                return completer.complete(prompts, options, TextCompleter.Truncation.LEFT);
            }

            @Override
            public GenerationOptions options(int maxTokens, double temperature, double topP, long seed, List<String> stop) {
                return completer.options(maxTokens, temperature, 0, topP, seed, stop);
            }

            @Override
            public int contextLength() {
                return completer.model().config().maxPositions();
            }
        };
    }
}
