package dev.zerospark.openai;

/**
 * A request that did not produce a completion: a per-row error for a batch job, which records its message, status
 * and attempts and goes on. Messages never contain the API key (server text is passed through {@link ApiKey#redact}).
 */
public abstract sealed class OpenAiException extends RuntimeException
        permits RequestRejectedException, RetriesExhaustedException, MalformedResponseException {
    private final int status;
    private final int attempts;

    OpenAiException(String message, int status, int attempts, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.attempts = attempts;
    }

    /** The last HTTP status seen, or -1 when the last attempt got no response (timeout, connection error). */
    public int status() {
        return status;
    }

    /** HTTP attempts made before giving up. */
    public int attempts() {
        return attempts;
    }
}
