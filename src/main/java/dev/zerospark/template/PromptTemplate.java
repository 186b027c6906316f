package dev.zerospark.template;

import dev.zerospark.tokenizer.HfTokenizer;
import java.io.Serializable;
import java.util.List;
import java.util.OptionalInt;

/**
 * A prompt format: how an article (and, for few-shot, examples) becomes the text fed to the model. One definition
 * serves both sides of fine-tuning: {@code prepare} builds {@code sft_pairs} prompts with it and {@code generate}
 * feeds the same prompts to the model, so the token ids a model was trained on are the ones it is asked with.
 * Serializable: a template travels to Spark's executors inside the job's closures.
 *
 * <p>Placeholders are filled in one pass, so a title or article that itself contains {@code {article}} is not
 * expanded again. {@code {examples}} becomes the examples in the seed app's format, each
 * <pre>
 * [Article i]: &lt;article&gt;
 * [Summary Riddle i]: &lt;riddle&gt;
 * ###
 * </pre>
 * numbered from 1 (every line ends in a newline, and {@code ###} follows every example, so it also separates the
 * last example from what comes after the placeholder); no examples render as the empty string.
 */
public interface PromptTemplate extends Serializable {
    /** The template's id, recorded in the generations table's {@code pipeline} column. */
    String id();

    /** The raw text with {@code {title}}, {@code {article}} and optionally {@code {examples}} placeholders. */
    String text();

    /** Strings that end a completion (the completion is cut before them). */
    List<String> stop();

    /** The article (and each example's article) is cut to at most this many tokens before rendering, when set. */
    OptionalInt maxArticleTokens();

    /** Whether the text has an {@code {examples}} placeholder; without one, an input's examples are not shown. */
    default boolean takesExamples() {
        return text().contains("{examples}");
    }

    /**
     * The prompt with every example and the whole article, nothing cut: what {@link #render} returns when it fits
     * and {@link #maxArticleTokens} cuts nothing. A caller that encodes many texts in one batch encodes this and
     * hands the ids to {@link #render(TemplateInput, int[], HfTokenizer, int)}.
     */
    String fill(TemplateInput input);

    /**
     * Renders the prompt so that its token ids (the whole text encoded at once, as {@code complete} does) number at
     * most {@code maxPromptTokens}: examples are dropped first (the last one first), then the article's body is
     * cut from its end.
     *
     * @throws PromptTemplateException when even an empty article does not fit
     */
    RenderedPrompt render(TemplateInput input, HfTokenizer tokenizer, int maxPromptTokens);

    /**
     * {@link #render(TemplateInput, HfTokenizer, int)} for an input whose {@link #fill} the caller already encoded
     * ({@code filledIds}): the same result, encoding again only when the prompt must shrink.
     */
    RenderedPrompt render(TemplateInput input, int[] filledIds, HfTokenizer tokenizer, int maxPromptTokens);
}
