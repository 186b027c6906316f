package dev.zerospark.tokenizer;

/** A tokenizer directory is missing, unreadable, or its files disagree (e.g. a pad token absent from the vocab). */
public final class TokenizerLoadException extends RuntimeException {
    public TokenizerLoadException(String message, Throwable cause) {
        super(message, cause);
    }

    public TokenizerLoadException(String message) {
        super(message);
    }
}
