package dev.zerospark.template;

import dev.zerospark.tokenizer.HfTokenizer;
import java.util.List;
import java.util.OptionalInt;

/**
 * A prompt format: how an article (and, for few-shot, examples) becomes the text fed to the model. One definition
 * serves both sides of fine-tuning: {@code prepare} builds {@code sft_pairs} prompts with it and {@code generate}
 * feeds the same prompts to the model, so the token ids a model was trained on are the ones it is asked with.
 */
public interface PromptTemplate {
    /** The template's id, recorded in the generations table's {@code pipeline} column. */
    String id();

    /** The raw text with {@code {title}}, {@code {article}} and optionally {@code {examples}} placeholders. */
    String text();

    /** Strings that end a completion (the completion is cut before them). */
    List<String> stop();

    /** The article is cut to at most this many tokens before rendering, when set. */
    OptionalInt maxArticleTokens();

    /**
     * Renders the prompt so that its token ids (the whole text encoded at once, as {@code complete} does) number at
     * most {@code maxPromptTokens}: examples are dropped first, then the article's body is cut from its end.
     *
     * @throws PromptTemplateException when even an empty article does not fit
     */
    RenderedPrompt render(TemplateInput input, HfTokenizer tokenizer, int maxPromptTokens);
}
