package dev.zerospark.template;

import dev.zerospark.config.UsageError;

/** A template that cannot be loaded or cannot fit its prompt; the message names the template. */
public final class PromptTemplateException extends RuntimeException implements UsageError {
    private PromptTemplateException(String message) {
        super(message);
    }

    public static PromptTemplateException unknown(String nameOrPath, java.util.Collection<String> builtins) {
        return new PromptTemplateException("unknown template '" + nameOrPath + "': not a built-in (" + String.join(", ", builtins)
                + ") and not a readable template file");
    }

    public static PromptTemplateException doesNotFit(String id, int emptyTokens, int maxPromptTokens) {
        return new PromptTemplateException("template '" + id + "' takes " + emptyTokens + " tokens with an empty article, more than the "
                + maxPromptTokens + " the prompt may have (the model's context minus max_new_tokens)");
    }

    public static PromptTemplateException invalid(String where, String problem) {
        return new PromptTemplateException("template " + where + ": " + problem);
    }
}
