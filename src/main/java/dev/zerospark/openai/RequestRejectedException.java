package dev.zerospark.openai;

/** The server refused the request with a 4xx other than 429: retrying the same request cannot help. */
public final class RequestRejectedException extends OpenAiException {
    private final String serverMessage;
    private final String param;

    private RequestRejectedException(String message, int status, int attempts, String serverMessage, String param) {
        super(message, status, attempts, null);
        this.serverMessage = serverMessage;
        this.param = param;
    }

    /** {@code serverMessage} must already be redacted. */
    public static RequestRejectedException of(String url, int status, int attempts, String serverMessage, String param) {
        return new RequestRejectedException(url + " rejected the request with HTTP " + status
                + (param == null ? "" : " (param " + param + ")") + ": " + serverMessage, status, attempts, serverMessage, param);
    }

    /** {@code error.message} from the response body (the raw body when it has none), with the key redacted. */
    public String serverMessage() {
        return serverMessage;
    }

    /** {@code error.param}: the request field the server objected to; null when it named none. */
    public String param() {
        return param;
    }
}
