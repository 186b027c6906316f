package dev.zerospark.template;

import dev.zerospark.testing.TestPaths;
import dev.zerospark.tokenizer.HfTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Template files (YAML) and their errors, the built-ins' exact text, and one-pass filling. */
class PromptTemplatesTest {
    private static HfTokenizer tok;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        tok = HfTokenizer.load(TestPaths.fixture("tokenizer-bytelevel-bpe-1024"));
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    @Test
    void templateFileLoadsEveryField() throws Exception {
        Path f = write("t.yaml", """
                id: headline-riddle
                text: "Headline: {title}\\n{article}\\nRiddle:"
                stop: ["\\n\\n", "###"]
                max_article_tokens: 12
                """);
        for (String location : List.of(f.toString(), f.toUri().toString())) {
            PromptTemplate t = PromptTemplates.resolve(location);
            assertEquals("headline-riddle", t.id());
            assertEquals("Headline: {title}\n{article}\nRiddle:", t.text());
            assertEquals(List.of("\n\n", "###"), t.stop());
            assertEquals(OptionalInt.of(12), t.maxArticleTokens());
        }
        PromptTemplate t = PromptTemplates.resolve(f.toString());
        String article = "The oil price fell by a dollar fifty on Monday as traders sold futures in London and New York.";
        RenderedPrompt r = t.render(TemplateInput.of("Oil", article), tok, 1000);
        assertTrue(r.truncated(), "max_article_tokens cuts the article even though the prompt fits");
        int[] body = tok.encode(r.text().substring("Headline: Oil\n".length(), r.text().length() - "\nRiddle:".length()));
        assertTrue(body.length <= 12 && article.startsWith(tok.decode(body, true)), r.text());
        assertArrayEquals(tok.encode(r.text()), r.tokenIds());
    }

    @Test
    void templateFileErrorsNameTheFileAndTheField() throws Exception {
        assertError("unknown.yaml", "id: a\ntext: '{article}'\nstop: []\nstops: []\n", "field 'stops' is not a template field");
        assertError("noarticle.yaml", "id: a\ntext: 'Title: {title}'\nstop: []\n", "field 'text' must contain {article}");
        assertError("noid.yaml", "text: '{article}'\nstop: []\n", "field 'id' is missing");
        assertError("nostop.yaml", "id: a\ntext: '{article}'\n", "field 'stop' is missing");
        assertError("stopstring.yaml", "id: a\ntext: '{article}'\nstop: '###'\n", "field 'stop' must be a list of strings, got the string '###'");
        assertError("stopitem.yaml", "id: a\ntext: '{article}'\nstop: ['x', 3]\n", "field 'stop' item 1 must be a non-empty string, got the number 3");
        assertError("textlist.yaml", "id: a\ntext: ['{article}']\nstop: []\n", "field 'text' must be a string, got a list");
        assertError("max.yaml", "id: a\ntext: '{article}'\nstop: []\nmax_article_tokens: 'many'\n", "field 'max_article_tokens' must be a positive integer, got the string 'many'");
        assertError("max0.yaml", "id: a\ntext: '{article}'\nstop: []\nmax_article_tokens: 0\n", "field 'max_article_tokens' must be a positive integer, got the number 0");
        assertError("builtin.yaml", "id: riddle\ntext: '{article}'\nstop: []\n", "field 'id' 'riddle' is a built-in template's id");
        assertError("list.yaml", "- id: a\n", "must be a mapping with id, text and stop, got a list");
        assertError("dup.yaml", "id: a\nid: b\ntext: '{article}'\nstop: []\n", "cannot be read");
        assertError("bad.yaml", "id: [unclosed\n", "cannot be read");

        PromptTemplateException missing = assertThrows(PromptTemplateException.class, () -> PromptTemplates.resolve(dir.resolve("none.yaml").toString()));
        assertTrue(missing.getMessage().contains("unknown template '" + dir.resolve("none.yaml") + "'")
                && missing.getMessage().contains("few-shot, instruct, riddle"), missing.getMessage());
        PromptTemplateException remote = assertThrows(PromptTemplateException.class, () -> PromptTemplates.resolve("s3a://bucket/t.yaml"));
        assertTrue(remote.getMessage().contains("s3a://bucket/t.yaml") && remote.getMessage().contains("local"), remote.getMessage());
    }

    @Test
    void builtinsHaveTheDocumentedText() {
        assertEquals("For the article below, summarize and create a riddle from the summary:\n\n[Article]: Body.\n\n[Summary Riddle]:",
                PromptTemplates.INSTRUCT.fill(TemplateInput.of("T", "Body.")));
        TemplateInput in = new TemplateInput("T", "Target body.", List.of(
                new TemplateInput.Example("a1", "First article.", "First riddle?"),
                new TemplateInput.Example("a2", "Second article.", "Second riddle?")));
        assertEquals("[Article 1]: First article.\n[Summary Riddle 1]: First riddle?\n###\n"
                + "[Article 2]: Second article.\n[Summary Riddle 2]: Second riddle?\n###\n"
                + "[Article]: Target body.\n[Summary Riddle]:", PromptTemplates.FEW_SHOT.fill(in));
        assertEquals("Write a short riddle that summarizes this news article.\n\nTitle: T\n\nTarget body.\n\nRiddle:",
                PromptTemplates.RIDDLE.fill(in), "a template without {examples} shows none");
        assertEquals(PromptTemplates.RIDDLE, PromptTemplates.resolve("riddle"));
        assertEquals(PromptTemplates.FEW_SHOT, PromptTemplates.resolve("few-shot"));
        assertEquals(PromptTemplates.INSTRUCT, PromptTemplates.resolve("instruct"));
    }

    @Test
    void placeholdersAreFilledInOnePass() {
        RenderedPrompt r = PromptTemplates.RIDDLE.render(TemplateInput.of("About {article} and {title}", "Body with {title} and {examples}."), tok, 1000);
        assertEquals("Write a short riddle that summarizes this news article.\n\nTitle: About {article} and {title}\n\n"
                + "Body with {title} and {examples}.\n\nRiddle:", r.text());
        assertFalse(r.truncated());
        assertArrayEquals(tok.encode(r.text()), r.tokenIds());
    }

    @Test
    void aTemplateSurvivesJavaSerialization() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(PromptTemplates.FEW_SHOT);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            PromptTemplate t = (PromptTemplate) in.readObject();
            assertEquals(PromptTemplates.FEW_SHOT.text(), t.text());
            assertEquals(PromptTemplates.FEW_SHOT.stop(), t.stop());
        }
    }

    private void assertError(String name, String yaml, String expected) throws Exception {
        Path f = write(name, yaml);
        PromptTemplateException e = assertThrows(PromptTemplateException.class, () -> PromptTemplates.resolve(f.toString()));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains(expected), name + ": " + e.getMessage());
    }

    private Path write(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }
}
