package dev.zerospark.serve.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zerospark.generate.GenerationOptions;
import dev.zerospark.openai.ChatMessage;
import dev.zerospark.serve.BatchModel;
import dev.zerospark.serve.ChatPrompt;
import dev.zerospark.serve.ServeSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reads a completions or chat request into a prompt and generation options, or fails with the 400 that names the
 * field. Fields OpenAI clients send that change nothing here (user, logit_bias, penalties, ...) are ignored.
 */
final class RequestParser {
    /** What the model thread needs: the prompt, the options, and whether sampling makes it a batch of its own. */
    record Parsed(String prompt, GenerationOptions options, boolean sampled) {}

    private static final Set<String> ROLES = Set.of("system", "user", "assistant");
    private static final int MAX_STOPS = 4; // OpenAI's limit

    private final ServeSettings settings;
    private final BatchModel model;

    RequestParser(ServeSettings settings, BatchModel model) {
        this.settings = settings;
        this.model = model;
    }

    Parsed completions(JsonNode body) {
        checkCommon(body);
        JsonNode prompt = body.get("prompt");
        if (prompt == null || prompt.isNull()) throw ApiError.missing("prompt");
        if (!prompt.isTextual()) throw ApiError.wrongType("prompt", "a string");
        return new Parsed(prompt.asText(), options(body, List.of()), sampled(body));
    }

    Parsed chat(JsonNode body) {
        checkCommon(body);
        JsonNode messages = body.get("messages");
        if (messages == null || messages.isNull()) throw ApiError.missing("messages");
        if (!messages.isArray() || messages.isEmpty()) throw ApiError.wrongType("messages", "a non-empty array");
        List<ChatMessage> list = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String at = "messages[" + i + "]";
            if (!m.isObject()) throw ApiError.wrongType(at, "an object with role and content");
            JsonNode role = m.get("role");
            if (role == null || role.isNull()) throw ApiError.missing(at + ".role");
            if (!role.isTextual() || !ROLES.contains(role.asText())) throw ApiError.invalid(at + ".role", "must be one of system, user, assistant");
            JsonNode content = m.get("content");
            if (content == null || content.isNull()) throw ApiError.missing(at + ".content");
            if (!content.isTextual()) throw ApiError.wrongType(at + ".content", "a string");
            list.add(new ChatMessage(role.asText(), content.asText()));
        }
        return new Parsed(ChatPrompt.render(list), options(body, List.of(ChatPrompt.TURN_STOP)), sampled(body));
    }

    private void checkCommon(JsonNode body) {
        if (!body.isObject()) throw ApiError.notAnObject();
        JsonNode m = body.get("model");
        if (m != null && !m.isNull()) {
            if (!m.isTextual()) throw ApiError.wrongType("model", "a string");
            if (!m.asText().equals(settings.modelId())) throw ApiError.modelNotFound(m.asText(), settings.modelId());
        }
        JsonNode stream = body.get("stream");
        if (stream != null && !stream.isNull() && !(stream.isBoolean())) throw ApiError.wrongType("stream", "a boolean");
        if (stream != null && stream.asBoolean()) throw ApiError.unsupported("stream", "is not supported by this server: send stream false or leave it out");
        JsonNode n = body.get("n");
        if (n != null && !n.isNull() && !(n.isIntegralNumber() && n.asLong() == 1)) throw ApiError.unsupported("n", "must be 1: this server returns one choice");
    }

    private GenerationOptions options(JsonNode body, List<String> implicitStops) {
        // a small model's context can be shorter than the default: then half of it, so the prompt keeps the other half
        int maxTokens = Math.min(settings.defaultMaxTokens(), Math.max(1, model.contextLength() / 2));
        JsonNode mt = body.get("max_tokens");
        if (mt != null && !mt.isNull()) {
            if (!mt.isIntegralNumber()) throw ApiError.wrongType("max_tokens", "an integer");
            if (mt.asLong() < 1) throw ApiError.invalid("max_tokens", "must be at least 1, got " + mt.asText());
            if (mt.asLong() > settings.maxTokensCap()) throw ApiError.invalid("max_tokens", "must be at most " + settings.maxTokensCap() + " on this server, got " + mt.asText());
            maxTokens = mt.asInt();
        }
        if (maxTokens >= model.contextLength()) {
            throw ApiError.invalid("max_tokens", "must be below the model's context of " + model.contextLength() + " tokens, got " + maxTokens);
        }
        double temperature = number(body, "temperature", 1.0);
        if (temperature < 0 || temperature > 2) throw ApiError.invalid("temperature", "must be in [0, 2], got " + temperature);
        double topP = number(body, "top_p", 1.0);
        if (!(topP > 0 && topP <= 1)) throw ApiError.invalid("top_p", "must be in (0, 1], got " + topP);
        // OpenAI without a seed: a fresh draw each time. Greedy ignores the seed, so it is 0 there: options of
        // greedy requests stay equal and they can share a batch.
        long seed = temperature == 0 ? 0 : ThreadLocalRandom.current().nextLong();
        JsonNode s = body.get("seed");
        if (s != null && !s.isNull()) {
            if (!s.isIntegralNumber() || !s.canConvertToLong()) throw ApiError.wrongType("seed", "an integer");
            if (temperature > 0) seed = s.asLong();
        }
        List<String> stops = new ArrayList<>(stops(body.get("stop")));
        stops.addAll(implicitStops);
        return model.options(maxTokens, temperature, topP, seed, stops);
    }

    private static boolean sampled(JsonNode body) {
        return number(body, "temperature", 1.0) > 0;
    }

    private static double number(JsonNode body, String field, double absent) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return absent;
        if (!v.isNumber()) throw ApiError.wrongType(field, "a number");
        return v.asDouble();
    }

    private static List<String> stops(JsonNode stop) {
        if (stop == null || stop.isNull()) return List.of();
        if (stop.isTextual()) return stop.asText().isEmpty() ? List.of() : List.of(stop.asText());
        if (!stop.isArray()) throw ApiError.wrongType("stop", "a string or an array of strings");
        if (stop.size() > MAX_STOPS) throw ApiError.invalid("stop", "may hold at most " + MAX_STOPS + " strings, got " + stop.size());
        List<String> out = new ArrayList<>();
        for (int i = 0; i < stop.size(); i++) {
            if (!stop.get(i).isTextual()) throw ApiError.wrongType("stop[" + i + "]", "a string");
            if (stop.get(i).asText().isEmpty()) throw ApiError.invalid("stop[" + i + "]", "must not be empty");
            out.add(stop.get(i).asText());
        }
        return out;
    }
}
