package dev.zerospark.template.internal;

import dev.zerospark.template.PromptTemplate;
import dev.zerospark.template.PromptTemplateException;
import dev.zerospark.template.RenderedPrompt;
import dev.zerospark.template.TemplateInput;
import dev.zerospark.tokenizer.HfTokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

/** A template given by its text. Examples are not rendered yet; the few-shot format comes with the few-shot template. */
public final class TextTemplate implements PromptTemplate {
    private final String id;
    private final String text;
    private final List<String> stop;
    private final Integer maxArticleTokens;

    public TextTemplate(String id, String text, List<String> stop, Integer maxArticleTokens) {
        if (!text.contains("{article}")) {
            throw PromptTemplateException.invalid("'" + id + "'", "text must contain {article}");
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
    public RenderedPrompt render(TemplateInput input, HfTokenizer tokenizer, int maxPromptTokens) {
        String article = input.article() == null ? "" : input.article();
        boolean cut = false;
        int[] body = null;
        if (maxArticleTokens != null) {
            body = tokenizer.encode(article);
            if (body.length > maxArticleTokens) {
                article = prefix(tokenizer, body, maxArticleTokens);
                cut = true;
            }
        }
        String prompt = fill(input.title(), article);
        int[] ids = tokenizer.encode(prompt);
        if (ids.length <= maxPromptTokens) {
            return new RenderedPrompt(prompt, ids, cut, 0);
        }
        body = tokenizer.encode(article);
        int keep = body.length - (ids.length - maxPromptTokens);
        // BPE merges across the cut can change the count by a token or two: shrink until it fits.
        while (keep >= 0) {
            prompt = fill(input.title(), prefix(tokenizer, body, keep));
            ids = tokenizer.encode(prompt);
            if (ids.length <= maxPromptTokens) {
                return new RenderedPrompt(prompt, ids, true, 0);
            }
            keep -= Math.max(1, ids.length - maxPromptTokens);
        }
        throw PromptTemplateException.doesNotFit(id, tokenizer.encode(fill(input.title(), "")).length, maxPromptTokens);
    }

    private String fill(String title, String article) {
        return text.replace("{title}", title == null ? "" : title).replace("{article}", article);
    }

    /** The text of the first {@code n} tokens, without a trailing partial UTF-8 character. */
    private static String prefix(HfTokenizer tokenizer, int[] ids, int n) {
        String s = tokenizer.decode(Arrays.copyOf(ids, n), true);
        while (!s.isEmpty() && s.charAt(s.length() - 1) == '\uFFFD') {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }
}
