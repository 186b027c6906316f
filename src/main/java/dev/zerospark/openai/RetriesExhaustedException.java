package dev.zerospark.openai;

/** Every allowed attempt got a 429, a 5xx, a timeout or a connection error. */
public final class RetriesExhaustedException extends OpenAiException {
    private RetriesExhaustedException(String message, int status, int attempts, Throwable cause) {
        super(message, status, attempts, cause);
    }

    /** After an HTTP error status; {@code detail} (the server's message) must already be redacted. */
    public static RetriesExhaustedException status(String url, int status, int attempts, String detail) {
        return new RetriesExhaustedException(url + " failed " + attempts + " attempts; the last got HTTP " + status + ": " + detail,
                status, attempts, null);
    }

    /** After a timeout or connection error; the cause is the JDK's exception, which never holds headers. */
    public static RetriesExhaustedException noResponse(String url, int attempts, Exception cause) {
        return new RetriesExhaustedException(url + " failed " + attempts + " attempts; the last got no response: "
                + cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : " " + cause.getMessage()), -1, attempts, cause);
    }
}
