package dev.zerospark.template;

import java.util.List;

/**
 * What a template is filled with.
 *
 * @param title may be null (rendered as empty)
 * @param article the article body
 * @param examples few-shot examples, in the order they are shown; empty for templates without {@code {examples}}
 */
public record TemplateInput(String title, String article, List<Example> examples) implements java.io.Serializable {
    public TemplateInput {
        examples = List.copyOf(examples);
    }

    public static TemplateInput of(String title, String article) {
        return new TemplateInput(title, article, List.of());
    }

    /** One article → riddle demonstration for a few-shot prompt. */
    public record Example(String articleId, String article, String riddle) implements java.io.Serializable {}
}
