package dev.zerospark.openai;

/** A 2xx answer whose body is not an OpenAI completion (not JSON, or no {@code choices[0]}). */
public final class MalformedResponseException extends OpenAiException {
    private MalformedResponseException(String message, int status, int attempts, Throwable cause) {
        super(message, status, attempts, cause);
    }

    /** {@code what} says what is missing or wrong; {@code cause} is the JSON parser's error, if any. */
    public static MalformedResponseException of(String url, int status, int attempts, String what, Throwable cause) {
        return new MalformedResponseException(url + " answered HTTP " + status + " with a body that is not a completion: " + what,
                status, attempts, cause);
    }
}
