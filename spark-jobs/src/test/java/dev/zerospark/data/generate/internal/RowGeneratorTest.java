package dev.zerospark.data.generate.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.generate.BatchGenerator;
import dev.zerospark.generate.GenerationOptions;
import dev.zerospark.generate.TextCompleter;
import dev.zerospark.template.PromptTemplates;
import dev.zerospark.testing.TestPaths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RowGeneratorTest {
    @Test
    void aRowWhoseBatchThrowsIsRetriedAloneAndOnlyTheRowThatThrowsAloneIsInError() throws Exception {
        try (TextCompleter c = TextCompleter.open(TestPaths.fixture("tiny-gpt2"))) {
            GenerationOptions o = c.options(5, 0, 0, 1, 0, List.of("\n\n"));
            BatchGenerator real = new BatchGenerator(c.model());
            List<Integer> batchSizes = new ArrayList<>();
            int[] poison = c.tokenizer().encode(PromptTemplates.RIDDLE.render(
                    dev.zerospark.template.TemplateInput.of("Bad", "poison"), c.tokenizer(), 58).text());
            // Stands in for a native error on one prompt: any batch holding it throws, as a crash inside the model would.
            RowGenerator.BatchRunner runner = rows -> {
                batchSizes.add(rows.size());
                if (rows.stream().anyMatch(r -> Arrays.equals(r.promptTokens(), poison))) throw new IllegalStateException("native error on the poison row");
                return real.generate(rows, o, 8192, ids -> c.tokenizer().decode(ids, true));
            };
            List<RowGenerator.Article> articles = List.of(new RowGenerator.Article("a", "Harbour", "storm", "h1"),
                    new RowGenerator.Article("bad", "Bad", "poison", "h2"), new RowGenerator.Article("b", "Market", "bridge river", "h3"));
            List<RowGenerator.Result> r = new RowGenerator(PromptTemplates.RIDDLE, c.tokenizer(), 58, 0, List.of("\n\n"), runner).generate(articles, "text");
            assertEquals(List.of(3, 1, 1, 1), batchSizes, "one batch of all, then each row alone");
            assertEquals("error", r.get(1).finishReason());
            assertTrue(r.get(1).error().contains("native error on the poison row"), r.get(1).error());
            assertEquals("bad", r.get(1).article().id());
            for (int i : new int[] {0, 2}) {
                assertNull(r.get(i).error());
                TextCompleter.Completion alone = c.complete(List.of(r.get(i).prompt()), o).get(0);
                assertEquals(alone.text(), r.get(i).completion());
            }
        }
    }
}
