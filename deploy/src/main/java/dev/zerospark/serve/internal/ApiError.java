package dev.zerospark.serve.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A request answered with an error in OpenAI's shape, {@code {"error": {"message", "type", "param", "code"}}}. Every
 * error the server sends is built here, so status, type and wording stay consistent; {@code param} names the
 * request field at fault when there is one.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final String retryAfterSeconds;

    private ApiError(int status, String type, String param, String code, String message, String retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    static ApiError badJson(String detail) {
        return new ApiError(400, "invalid_request_error", null, "invalid_json", "the request body is not valid JSON: " + detail, null);
    }

    static ApiError notAnObject() {
        return new ApiError(400, "invalid_request_error", null, "invalid_json", "the request body must be a JSON object", null);
    }

    static ApiError missing(String param) {
        return new ApiError(400, "invalid_request_error", param, "missing_required_parameter", "'" + param + "' is required", null);
    }

    /** {@code param} holds a value of the right type that is out of range or not allowed; {@code why} says which. */
    static ApiError invalid(String param, String why) {
        return new ApiError(400, "invalid_request_error", param, "invalid_value", "'" + param + "' " + why, null);
    }

    static ApiError wrongType(String param, String expected) {
        return new ApiError(400, "invalid_request_error", param, "invalid_type", "'" + param + "' must be " + expected, null);
    }

    static ApiError unsupported(String param, String why) {
        return new ApiError(400, "invalid_request_error", param, "unsupported_parameter", "'" + param + "' " + why, null);
    }

    static ApiError modelNotFound(String asked, String served) {
        return new ApiError(404, "invalid_request_error", "model", "model_not_found",
                "the model '" + asked + "' does not exist; this server serves '" + served + "'", null);
    }

    static ApiError unauthorized() {
        return new ApiError(401, "invalid_request_error", null, "invalid_api_key",
                "missing or incorrect API key: send it as 'Authorization: Bearer <key>'", null);
    }

    static ApiError notFound(String path) {
        return new ApiError(404, "invalid_request_error", null, "unknown_url",
                "unknown path " + path + ": this server has /v1/models, /v1/completions and /v1/chat/completions", null);
    }

    static ApiError methodNotAllowed(String method, String path, String allowed) {
        return new ApiError(405, "invalid_request_error", null, "method_not_allowed", method + " " + path + " is not supported; use " + allowed, null);
    }

    static ApiError tooLarge(long limit) {
        return new ApiError(413, "invalid_request_error", null, "request_too_large",
                "the request body is larger than this server's limit of " + limit + " bytes", null);
    }

    static ApiError queueFull(int queueSize) {
        return new ApiError(429, "rate_limit_error", null, "rate_limit_exceeded",
                "the server's queue of " + queueSize + " waiting requests is full; retry after 1 s", "1");
    }

    static ApiError shuttingDown() {
        return new ApiError(503, "server_error", null, "server_shutting_down", "the server is shutting down", null);
    }

    static ApiError modelFailed(RuntimeException e) {
        return new ApiError(500, "server_error", null, null, "generation failed: " + e.getMessage(), null);
    }

    public int status() {
        return status;
    }

    /** The {@code Retry-After} header value, or null when none is sent. */
    String retryAfterSeconds() {
        return retryAfterSeconds;
    }

    ObjectNode body(ObjectMapper json) {
        ObjectNode root = json.createObjectNode();
        ObjectNode e = root.putObject("error");
        e.put("message", getMessage());
        e.put("type", type);
        e.put("param", param);
        e.put("code", code);
        return root;
    }
}
