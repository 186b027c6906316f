package dev.zerospark.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.model.Bf16;
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
    void bf16WeightsGiveTheGreedyTokensOfFp32() throws Exception {
        List<String> prompts = List.of("The harbour storm", "A market on the bridge near the river council", "x");
        try (TextCompleter fp32 = TextCompleter.open(TestPaths.fixture("tiny-llama"), null, TextCompleter.FP32);
             TextCompleter bf16 = TextCompleter.open(TestPaths.fixture("tiny-llama"), null, TextCompleter.BF16)) {
            assertTrue(bf16.model().parameters().arrays().values().stream().allMatch(Bf16::is), "every weight is bf16");
            assertTrue(fp32.model().parameters().arrays().values().stream().noneMatch(Bf16::is));
            List<TextCompleter.Completion> want = fp32.complete(prompts, fp32.options(8, 0, 0, 1, 0, List.of()));
            List<TextCompleter.Completion> got = bf16.complete(prompts, bf16.options(8, 0, 0, 1, 0, List.of()));
            for (int i = 0; i < prompts.size(); i++) {
                // the tiny fixture's logits are far apart: bf16 rounding does not change its greedy choices
                assertEquals(java.util.Arrays.toString(want.get(i).tokens()), java.util.Arrays.toString(got.get(i).tokens()), prompts.get(i));
            }
        }
    }

    @Test
    void cutsTextBeforeTheFirstStopString() {
        assertEquals("abc", TextCompleter.cutAtStop("abcXYdefZ", List.of("Z", "XY")));
        assertEquals("abc", TextCompleter.cutAtStop("abc", List.of("Q")));
    }
}
