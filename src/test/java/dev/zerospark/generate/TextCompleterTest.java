package dev.zerospark.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.testing.TestPaths;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextCompleterTest {
    @Test
    void completesBatchesOfDifferentLengthsLikeSinglePrompts() throws Exception {
        try (TextCompleter c = TextCompleter.open(TestPaths.fixture("tiny-llama"))) {
            assertEquals(List.of(0), c.eosTokenIds());
            assertEquals(1, c.padTokenId());
            GenerationOptions greedy = c.options(6, 0, 0, 1, 0, List.of());
            List<TextCompleter.Completion> batch = c.complete(List.of("hello world, this is long", "hi"), greedy);
            TextCompleter.Completion alone = c.complete(List.of("hi"), greedy).get(0);
            // left padding must not change the short prompt's greedy continuation
            assertEquals(java.util.Arrays.toString(alone.tokens()), java.util.Arrays.toString(batch.get(1).tokens()));
            assertEquals(alone.text(), batch.get(1).text());
            assertTrue(batch.get(0).tokens().length >= 1);
        }
    }

    @Test
    void cutsTextBeforeTheFirstStopString() {
        assertEquals("abc", TextCompleter.cutAtStop("abcXYdefZ", List.of("Z", "XY")));
        assertEquals("abc", TextCompleter.cutAtStop("abc", List.of("Q")));
    }
}
