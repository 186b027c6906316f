package dev.zerospark.template.internal;

import dev.zerospark.template.PromptTemplate;
import dev.zerospark.template.PromptTemplateException;
import dev.zerospark.template.RenderedPrompt;
import dev.zerospark.template.TemplateInput;
import dev.zerospark.template.TemplateInput.Example;
import dev.zerospark.tokenizer.HfTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

/** A template given by its text: the built-ins and template files. */
public final class TextTemplate implements PromptTemplate {
    private static final long serialVersionUID = 1L;
    private static final String TITLE = "{title}";
    private static final String ARTICLE = "{article}";
    private static final String EXAMPLES = "{examples}";
    /** Tokens past the needed ones that an encoded prefix of a long article must have (see leadingTokens). */
    private static final int SLACK = 16;
    /** A first guess at the characters per token, generous for English; a prefix too short is doubled. */
    private static final int CHARS_PER_TOKEN = 8;

    private final String id;
    private final String text;
    private final List<String> stop;
    private final Integer maxArticleTokens;

    public TextTemplate(String id, String text, List<String> stop, Integer maxArticleTokens) {
        String where = "'" + id + "'";
        if (id == null || id.isBlank()) throw PromptTemplateException.invalid("with text '" + text + "'", "id must not be empty");
        if (text == null || !text.contains(ARTICLE)) throw PromptTemplateException.invalid(where, "text must contain {article}");
        if (maxArticleTokens != null && maxArticleTokens <= 0) {
            throw PromptTemplateException.invalid(where, "max_article_tokens must be positive, got " + maxArticleTokens);
        }
        this.id = id;
        this.text = text;
        this.stop = List.copyOf(stop);
        this.maxArticleTokens = maxArticleTokens;
    }

    @Override public String id() { return id; }
    @Override public String text() { return text; }
    @Override public List<String> stop() { return stop; }
    @Override public OptionalInt maxArticleTokens() { return maxArticleTokens == null ? OptionalInt.empty() : OptionalInt.of(maxArticleTokens); }

    @Override
    public String fill(TemplateInput input) {
        return fill(input.title(), orEmpty(input.article()), shown(input));
    }

    @Override
    public RenderedPrompt render(TemplateInput input, int[] filledIds, HfTokenizer tokenizer, int maxPromptTokens) {
        return render(input, tokenizer, maxPromptTokens, filledIds);
    }

    @Override
    public RenderedPrompt render(TemplateInput input, HfTokenizer tokenizer, int maxPromptTokens) {
        return render(input, tokenizer, maxPromptTokens, null);
    }

    /** @param filledIds the ids of {@link #fill}, when the caller has them: that text is not encoded again */
    private RenderedPrompt render(TemplateInput input, HfTokenizer tokenizer, int maxPromptTokens, int[] filledIds) {
        String article = orEmpty(input.article());
        List<Example> examples = shown(input);
        boolean cut = false;
        if (maxArticleTokens != null) {
            int[] body = tokenizer.encode(article);
            if (body.length > maxArticleTokens) {
                article = prefix(tokenizer, body, maxArticleTokens);
                cut = true;
            }
            List<Example> shortened = new ArrayList<>(examples.size());
            for (Example e : examples) {
                int[] ids = tokenizer.encode(orEmpty(e.article()));
                shortened.add(ids.length <= maxArticleTokens ? e
                        : new Example(e.articleId(), prefix(tokenizer, ids, maxArticleTokens), e.riddle()));
            }
            examples = shortened;
        }
        // Drop examples from the last (the first ones are the draw's first picks); then cut the article.
        String prompt = null;
        int[] ids = null;
        for (int shown = examples.size(); shown >= 0; shown--) {
            prompt = fill(input.title(), article, examples.subList(0, shown));
            ids = filledIds != null && maxArticleTokens == null && shown == examples.size() ? filledIds : tokenizer.encode(prompt);
            if (ids.length <= maxPromptTokens) return new RenderedPrompt(prompt, ids, cut, examples.size() - shown);
        }
        int dropped = examples.size();
        int[] body = leadingTokens(tokenizer, article, maxPromptTokens);
        // The room the template leaves (the empty-article prompt is short), not the whole prompt's overflow: body may be a prefix.
        int empty = tokenizer.encode(fill(input.title(), "", List.of())).length;
        int keep = Math.max(0, Math.min(body.length - 1, maxPromptTokens - empty));
        // BPE merges across the cut can change the count by a token or two: shrink until it fits.
        while (true) {
            prompt = fill(input.title(), prefix(tokenizer, body, keep), List.of());
            ids = tokenizer.encode(prompt);
            if (ids.length <= maxPromptTokens) return new RenderedPrompt(prompt, ids, true, dropped);
            if (keep == 0) throw PromptTemplateException.doesNotFit(id, ids.length, maxPromptTokens);
            keep = Math.max(0, keep - Math.max(1, ids.length - maxPromptTokens));
        }
    }

    /**
     * The ids of the article's beginning, at least {@code n} + {@value #SLACK} tokens of it when it has that many:
     * a long article is not encoded whole just to keep its first few hundred tokens. Only the last word of an
     * encoded prefix can differ from the whole article's encoding, and the slack keeps it out of what is kept.
     */
    private static int[] leadingTokens(HfTokenizer tokenizer, String article, int n) {
        int want = n + SLACK;
        int chars = Math.min(article.length(), CHARS_PER_TOKEN * want);
        while (true) {
            if (chars >= article.length()) return tokenizer.encode(article);
            if (Character.isHighSurrogate(article.charAt(chars - 1))) chars--; // never split a character
            int[] ids = tokenizer.encode(article.substring(0, chars));
            if (ids.length >= want) return Arrays.copyOf(ids, ids.length - SLACK);
            chars = Math.min(article.length(), chars * 2);
        }
    }

    private List<Example> shown(TemplateInput input) {
        return takesExamples() ? input.examples() : List.of();
    }

    /** Fills every placeholder in one pass over the text, so a value is never scanned for placeholders itself. */
    private String fill(String title, String article, List<Example> examples) {
        StringBuilder out = new StringBuilder(text.length() + article.length() + 256);
        int from = 0;
        for (int at = text.indexOf('{'); at >= 0; at = text.indexOf('{', at + 1)) {
            if (at < from) continue; // inside a placeholder just filled
            String placeholder = text.startsWith(TITLE, at) ? TITLE : text.startsWith(ARTICLE, at) ? ARTICLE
                    : text.startsWith(EXAMPLES, at) ? EXAMPLES : null;
            if (placeholder == null) continue; // a literal brace
            out.append(text, from, at);
            switch (placeholder) {
                case TITLE -> out.append(orEmpty(title));
                case ARTICLE -> out.append(article);
                default -> appendExamples(out, examples);
            }
            from = at + placeholder.length();
        }
        return out.append(text, from, text.length()).toString();
    }

    /** The seed app's few-shot format (documented on {@link PromptTemplate}). */
    private static void appendExamples(StringBuilder out, List<Example> examples) {
        for (int i = 0; i < examples.size(); i++) {
            Example e = examples.get(i);
            out.append("[Article ").append(i + 1).append("]: ").append(orEmpty(e.article())).append('\n')
                    .append("[Summary Riddle ").append(i + 1).append("]: ").append(orEmpty(e.riddle())).append('\n')
                    .append("###\n");
        }
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    /** The text of the first {@code n} tokens, without a trailing partial UTF-8 character. */
    private static String prefix(HfTokenizer tokenizer, int[] ids, int n) {
        String s = tokenizer.decode(Arrays.copyOf(ids, n), true);
        while (!s.isEmpty() && s.charAt(s.length() - 1) == '\uFFFD') {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }

    @Override
    public String toString() {
        return "template " + id;
    }
}
