package dev.zerospark.template;

import dev.zerospark.template.TemplateInput.Example;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.tokenizer.HfTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rendering to a token budget: examples go first (the last first), then the article is cut from its end. */
class TextTemplateRenderTest {
    private static final String ARTICLE = "Crude oil prices fell sharply on Monday after producers agreed to raise output, "
            + "and traders in London and New York sold futures for the third day in a row.";
    private static final List<Example> EXAMPLES = List.of(
            new Example("e1", "The central bank held rates steady.", "Who waits and does not move?"),
            new Example("e2", "Wheat harvests beat forecasts in the plains.", "What grows more than told?"),
            new Example("e3", "A storm closed the port for two days.", "What shuts the sea's door?"));
    private static HfTokenizer tok;

    @BeforeAll
    static void load() {
        tok = HfTokenizer.load(TestPaths.fixture("tokenizer-bytelevel-bpe-1024"));
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    @Test
    void fewShotOverflowDropsExamplesFromTheLastThenCutsTheArticle() {
        TemplateInput in = new TemplateInput(null, ARTICLE, EXAMPLES);
        PromptTemplate t = PromptTemplates.FEW_SHOT;
        int full = tok.encode(t.fill(in)).length;
        RenderedPrompt all = t.render(in, tok, full);
        assertEquals(0, all.examplesDropped());
        assertFalse(all.truncated());
        assertEquals(t.fill(in), all.text());

        // One token short: the last example goes, the first two stay whole, the article stays whole.
        RenderedPrompt two = t.render(in, tok, full - 1);
        assertEquals(1, two.examplesDropped());
        assertFalse(two.truncated());
        assertEquals(t.fill(new TemplateInput(null, ARTICLE, EXAMPLES.subList(0, 2))), two.text());

        int bare = tok.encode(t.fill(TemplateInput.of(null, ARTICLE))).length;
        RenderedPrompt none = t.render(in, tok, bare);
        assertEquals(3, none.examplesDropped());
        assertFalse(none.truncated());
        assertEquals("[Article]: " + ARTICLE + "\n[Summary Riddle]:", none.text());

        RenderedPrompt cut = t.render(in, tok, bare - 10);
        assertEquals(3, cut.examplesDropped());
        assertTrue(cut.truncated());
        assertTrue(cut.tokenIds().length <= bare - 10, "fits: " + cut.tokenIds().length);
        assertArrayEquals(tok.encode(cut.text()), cut.tokenIds(), "the ids are the whole text encoded at once");
        String body = cut.text().substring("[Article]: ".length(), cut.text().length() - "\n[Summary Riddle]:".length());
        assertTrue(!body.isEmpty() && ARTICLE.startsWith(body) && body.length() < ARTICLE.length(), "cut from its end: " + body);
    }

    @Test
    void aLongArticleIsCutFromItsEndToTheBudgetAndMarked() {
        String article = ARTICLE.repeat(20);
        TemplateInput in = TemplateInput.of("Oil falls", article);
        RenderedPrompt r = PromptTemplates.RIDDLE.render(in, tok, 64);
        assertTrue(r.truncated());
        assertEquals(0, r.examplesDropped());
        assertArrayEquals(tok.encode(r.text()), r.tokenIds());
        assertTrue(r.tokenIds().length <= 64 && r.tokenIds().length >= 60, "uses the budget: " + r.tokenIds().length);
        String head = "Write a short riddle that summarizes this news article.\n\nTitle: Oil falls\n\n";
        assertTrue(r.text().startsWith(head) && r.text().endsWith("\n\nRiddle:"), "instruction and tail kept: " + r.text());
        String body = r.text().substring(head.length(), r.text().length() - "\n\nRiddle:".length());
        assertTrue(article.startsWith(body), "the body is the article's beginning: " + body);

        // The batched entry point: given the filled text's ids, the same answer, with or without a cut.
        int[] filled = tok.encode(PromptTemplates.RIDDLE.fill(in));
        RenderedPrompt viaIds = PromptTemplates.RIDDLE.render(in, filled, tok, 64);
        assertEquals(r.text(), viaIds.text());
        assertArrayEquals(r.tokenIds(), viaIds.tokenIds());
        assertTrue(viaIds.truncated());
        RenderedPrompt fits = PromptTemplates.RIDDLE.render(in, filled, tok, filled.length);
        assertEquals(PromptTemplates.RIDDLE.fill(in), fits.text());
        assertFalse(fits.truncated());
    }

    @Test
    void aTemplateThatCannotFitEvenEmptyIsRefusedWithItsId() {
        PromptTemplateException e = assertThrows(PromptTemplateException.class,
                () -> PromptTemplates.RIDDLE.render(TemplateInput.of("Oil", ARTICLE), tok, 5));
        assertTrue(e.getMessage().contains("template 'riddle'") && e.getMessage().contains("more than the 5"), e.getMessage());
    }
}
