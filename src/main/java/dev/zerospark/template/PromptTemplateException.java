package dev.zerospark.template;

import dev.zerospark.config.UsageError;

/** A template that cannot be loaded or cannot fit its prompt; the message names the template (and its file and field). */
public final class PromptTemplateException extends RuntimeException implements UsageError {
    private PromptTemplateException(String message) {
        super(message);
    }

    private PromptTemplateException(String message, Throwable cause) {
        super(message, cause);
    }

    public static PromptTemplateException unknown(String nameOrPath, java.util.Collection<String> builtins) {
        return new PromptTemplateException("unknown template '" + nameOrPath + "': not a built-in (" + String.join(", ", new java.util.TreeSet<>(builtins))
                + ") and not a readable template file");
    }

    public static PromptTemplateException doesNotFit(String id, int emptyTokens, int maxPromptTokens) {
        return new PromptTemplateException("template '" + id + "' takes " + emptyTokens + " tokens with an empty article, more than the "
                + maxPromptTokens + " the prompt may have (the model's context minus max_new_tokens)");
    }

    public static PromptTemplateException invalid(String where, String problem) {
        return new PromptTemplateException("template " + where + ": " + problem);
    }

    /** A template file whose field {@code field} is missing, of the wrong type or not allowed. */
    public static PromptTemplateException badField(String file, String field, String problem) {
        return new PromptTemplateException("template file " + file + ": field '" + field + "' " + problem);
    }

    public static PromptTemplateException unreadable(String file, Throwable cause) {
        return new PromptTemplateException("template file " + file + " cannot be read: " + cause.getMessage(), cause);
    }

    public static PromptTemplateException remote(String location) {
        return new PromptTemplateException("template file " + location + ": only a local path or a file: URI is read here;"
                + " copy the file to local disk first");
    }
}
