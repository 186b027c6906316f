package dev.zerospark.serve;

import static dev.zerospark.serve.ServeHttp.body;
import static dev.zerospark.serve.ServeHttp.json;
import static dev.zerospark.serve.ServeHttp.post;
import static dev.zerospark.serve.ServeHttp.postAsync;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zerospark.generate.GenerationOptions;
import dev.zerospark.generate.TextCompleter;
import dev.zerospark.openai.ApiKey;
import dev.zerospark.openai.ChatMessage;
import dev.zerospark.testing.TestPaths;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code zerospark serve}'s server through the JDK HttpClient: answers equal the in-process model, batching, limits, errors. */
class ModelServerTest {
    private static final String ID = "tiny-gpt2";
    private static final String COMPLETIONS = "/v1/completions";
    private static TextCompleter completer;

    @BeforeAll
    static void load() throws Exception {
        completer = TextCompleter.open(TestPaths.fixture("tiny-gpt2"));
    }

    @AfterAll
    static void unload() {
        completer.close();
    }

    private static String direct(String prompt, GenerationOptions o) {
        return completer.complete(List.of(prompt), o, TextCompleter.Truncation.LEFT).get(0).text();
    }

    private static GenerationOptions greedy(int maxTokens, List<String> stop) {
        return completer.options(maxTokens, 0, 0, 1, 0, stop);
    }

    private static ServeSettings settings() {
        return ServeSettings.loopback(0, ID).withLimits(8, 16, 1 << 16, 32); // tiny-gpt2's context is 64 tokens
    }

    @Test
    void servedGreedyCompletionAndChatEqualTextCompleterOnTheSamePrompt() throws Exception {
        try (ModelServer s = ModelServer.start(settings(), BatchModel.of(completer))) {
            String prompt = "The quick brown fox";
            HttpResponse<String> r = post(s.port(), COMPLETIONS, body("model", ID, "prompt", prompt, "max_tokens", 12, "temperature", 0));
            assertEquals(200, r.statusCode(), r.body());
            JsonNode c = json(r);
            TextCompleter.Completion expected = completer.complete(List.of(prompt), greedy(12, List.of()), TextCompleter.Truncation.LEFT).get(0);
            assertEquals(expected.text(), c.at("/choices/0/text").asText());
            assertEquals("text_completion", c.get("object").asText());
            assertEquals(expected.promptTokens(), c.at("/usage/prompt_tokens").asInt());
            assertEquals(expected.tokens().length, c.at("/usage/completion_tokens").asInt());
            assertEquals(expected.finishReason() == dev.zerospark.generate.FinishReason.MAX_NEW_TOKENS ? "length" : "stop",
                    c.at("/choices/0/finish_reason").asText());

            String stop = expected.text().strip().substring(1, 2); // a piece after the first character, so the cut shows
            JsonNode cut = json(post(s.port(), COMPLETIONS, body("prompt", prompt, "max_tokens", 12, "temperature", 0, "stop", stop)));
            assertEquals(direct(prompt, greedy(12, List.of(stop))), cut.at("/choices/0/text").asText());
            assertTrue(cut.at("/choices/0/text").asText().length() < expected.text().length(), cut.toString());
            assertEquals("stop", cut.at("/choices/0/finish_reason").asText());

            List<ChatMessage> chat = List.of(ChatMessage.system("You write riddles."), ChatMessage.user("A riddle about the sea"));
            JsonNode answer = json(post(s.port(), "/v1/chat/completions", body("model", ID, "messages", chat, "max_tokens", 10, "temperature", 0)));
            assertEquals("System: You write riddles.\nUser: A riddle about the sea\nAssistant:", ChatPrompt.render(chat));
            assertEquals(direct(ChatPrompt.render(chat), greedy(10, List.of(ChatPrompt.TURN_STOP))), answer.at("/choices/0/message/content").asText());
            assertEquals("assistant", answer.at("/choices/0/message/role").asText());

            JsonNode models = json(ServeHttp.get(s.port(), "/v1/models", null));
            assertEquals(ID, models.at("/data/0/id").asText());
        }
    }

    @Test
    void samplingHonoursTemperatureTopPAndSeed() throws Exception {
        try (ModelServer s = ModelServer.start(settings(), BatchModel.of(completer))) {
            String req = body("prompt", "Once upon a time", "max_tokens", 16, "temperature", 1.3, "top_p", 0.9, "seed", 7);
            String first = json(post(s.port(), COMPLETIONS, req)).at("/choices/0/text").asText();
            assertEquals(first, json(post(s.port(), COMPLETIONS, req)).at("/choices/0/text").asText());
            assertEquals(direct("Once upon a time", completer.options(16, 1.3, 0, 0.9, 7, List.of())), first);
        }
    }

    @Test
    void concurrentRequestsAreAnsweredInOneBatch() throws Exception {
        GatedModel model = new GatedModel(completer);
        try (ModelServer s = ModelServer.start(settings(), model)) {
            List<String> prompts = List.of("Alpha", "The bank said", "Shares of", "A riddle: what has keys", "Oil prices rose", "Hello");
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            answers.add(postAsync(s.port(), COMPLETIONS, body("prompt", prompts.get(0), "max_tokens", 6, "temperature", 0), null));
            assertTrue(model.firstBatchEntered.await(60, java.util.concurrent.TimeUnit.SECONDS), "the model thread took a batch"); // the model thread now holds a batch of one at the gate
            for (String p : prompts.subList(1, prompts.size())) {
                answers.add(postAsync(s.port(), COMPLETIONS, body("prompt", p, "max_tokens", 6, "temperature", 0), null));
            }
            ServeHttp.awaitState("5 requests queued", () -> s.queued() == 5);
            model.open();
            for (int i = 0; i < prompts.size(); i++) {
                HttpResponse<String> r = answers.get(i).get(60, java.util.concurrent.TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), r.body());
                assertEquals(direct(prompts.get(i), greedy(6, List.of())), json(r).at("/choices/0/text").asText(), prompts.get(i));
            }
            assertEquals(List.of(1, 5), model.batchSizes);
            assertEquals(2, s.batches(), "6 requests in 2 batches");
        }
    }

    @Test
    void aFullQueueAnswers429WithRetryAfter() throws Exception {
        GatedModel model = new GatedModel(completer);
        try (ModelServer s = ModelServer.start(ServeSettings.loopback(0, ID).withLimits(1, 2, 1 << 16, 64), model)) {
            String req = body("prompt", "Hi", "max_tokens", 2, "temperature", 0);
            List<CompletableFuture<HttpResponse<String>>> admitted = new ArrayList<>();
            admitted.add(postAsync(s.port(), COMPLETIONS, req, null));
            assertTrue(model.firstBatchEntered.await(60, java.util.concurrent.TimeUnit.SECONDS), "the model thread took a batch");
            admitted.add(postAsync(s.port(), COMPLETIONS, req, null));
            admitted.add(postAsync(s.port(), COMPLETIONS, req, null));
            ServeHttp.awaitState("2 requests queued", () -> s.queued() == 2);
            HttpResponse<String> refused = post(s.port(), COMPLETIONS, req);
            assertEquals(429, refused.statusCode(), refused.body());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
            assertError(refused, "rate_limit_error", null, "rate_limit_exceeded");
            model.open();
            for (CompletableFuture<HttpResponse<String>> a : admitted) assertEquals(200, a.get(60, java.util.concurrent.TimeUnit.SECONDS).statusCode());
        }
    }

    @Test
    void bearerAuthWhenAKeyIsSet() throws Exception {
        String key = "serve-test-key-1234";
        try (ModelServer s = ModelServer.start(settings().withApiKey(ApiKey.of(key)), BatchModel.of(completer))) {
            String req = body("prompt", "Hi", "max_tokens", 2, "temperature", 0);
            HttpResponse<String> none = post(s.port(), COMPLETIONS, req);
            assertEquals(401, none.statusCode());
            assertError(none, "invalid_request_error", null, "invalid_api_key");
            assertEquals(401, ServeHttp.post(s.port(), COMPLETIONS, req, key + "x").statusCode());
            assertEquals(401, ServeHttp.get(s.port(), "/v1/models", null).statusCode());
            assertTrue(!ServeHttp.post(s.port(), COMPLETIONS, req, "wrong").body().contains("wrong"), "the given key is not echoed");
            assertEquals(200, ServeHttp.post(s.port(), COMPLETIONS, req, key).statusCode());
            assertEquals(200, ServeHttp.get(s.port(), "/v1/models", key).statusCode());
        }
    }

    @Test
    void aBodyOverTheLimitGets413() throws Exception {
        try (ModelServer s = ModelServer.start(ServeSettings.loopback(0, ID).withLimits(2, 2, 200, 64), BatchModel.of(completer))) {
            HttpResponse<String> r = post(s.port(), COMPLETIONS, body("prompt", "x".repeat(300), "max_tokens", 2));
            assertEquals(413, r.statusCode(), r.body());
            assertError(r, "invalid_request_error", null, "request_too_large");
            assertTrue(json(r).at("/error/message").asText().contains("200 bytes"), r.body());
        }
    }

    @Test
    void badJsonAndBadParametersGet400NamingTheField() throws Exception {
        try (ModelServer s = ModelServer.start(settings(), BatchModel.of(completer))) {
            int port = s.port();
            String chat = "/v1/chat/completions";
            List<ChatMessage> ok = List.of(ChatMessage.user("hi"));
            Map<String, String[]> cases = new java.util.LinkedHashMap<>();
            cases.put("{\"prompt\": ", new String[]{COMPLETIONS, null, "invalid_json"});
            cases.put("[1, 2]", new String[]{COMPLETIONS, null, "invalid_json"});
            cases.put(body("max_tokens", 2), new String[]{COMPLETIONS, "prompt", "missing_required_parameter"});
            cases.put(body("prompt", 5), new String[]{COMPLETIONS, "prompt", "invalid_type"});
            cases.put(body("prompt", "p", "max_tokens", 33), new String[]{COMPLETIONS, "max_tokens", "invalid_value"});
            cases.put(body("prompt", "p", "max_tokens", 0), new String[]{COMPLETIONS, "max_tokens", "invalid_value"});
            cases.put(body("prompt", "p", "max_tokens", 2.5), new String[]{COMPLETIONS, "max_tokens", "invalid_type"});
            cases.put(body("prompt", "p", "temperature", "hot"), new String[]{COMPLETIONS, "temperature", "invalid_type"});
            cases.put(body("prompt", "p", "temperature", 3), new String[]{COMPLETIONS, "temperature", "invalid_value"});
            cases.put(body("prompt", "p", "top_p", 0), new String[]{COMPLETIONS, "top_p", "invalid_value"});
            cases.put(body("prompt", "p", "stop", List.of(1)), new String[]{COMPLETIONS, "stop[0]", "invalid_type"});
            cases.put(body("prompt", "p", "stop", List.of("a", "b", "c", "d", "e")), new String[]{COMPLETIONS, "stop", "invalid_value"});
            cases.put(body("prompt", "p", "seed", "x"), new String[]{COMPLETIONS, "seed", "invalid_type"});
            cases.put(body("prompt", "p", "stream", true), new String[]{COMPLETIONS, "stream", "unsupported_parameter"});
            cases.put(body("prompt", "p", "n", 2), new String[]{COMPLETIONS, "n", "unsupported_parameter"});
            cases.put(body("messages", List.of()), new String[]{chat, "messages", "invalid_type"});
            cases.put(body("messages", List.of(ok.get(0), Map.of("role", "robot", "content", "x"))), new String[]{chat, "messages[1].role", "invalid_value"});
            cases.put(body("messages", List.of(Map.of("role", "user"))), new String[]{chat, "messages[0].content", "missing_required_parameter"});
            for (Map.Entry<String, String[]> c : cases.entrySet()) {
                HttpResponse<String> r = post(port, c.getValue()[0], c.getKey());
                assertEquals(400, r.statusCode(), c.getKey() + " -> " + r.body());
                assertError(r, "invalid_request_error", c.getValue()[1], c.getValue()[2]);
            }
            HttpResponse<String> wrongModel = post(port, COMPLETIONS, body("model", "gpt-4", "prompt", "p"));
            assertEquals(404, wrongModel.statusCode());
            assertError(wrongModel, "invalid_request_error", "model", "model_not_found");
            HttpResponse<String> cap = post(port, COMPLETIONS, body("prompt", "p", "max_tokens", 33));
            assertTrue(json(cap).at("/error/message").asText().contains("at most 32"), cap.body());
            assertEquals(404, post(port, "/v1/embeddings", body("input", "p")).statusCode());
            assertEquals(405, ServeHttp.get(port, COMPLETIONS, null).statusCode());
        }
    }

    @Test
    void closeAnswersWhatIsQueuedThenStopsListening() throws Exception {
        GatedModel model = new GatedModel(completer);
        ModelServer s = ModelServer.start(settings(), model);
        String req = body("prompt", "Hi", "max_tokens", 2, "temperature", 0);
        CompletableFuture<HttpResponse<String>> running = postAsync(s.port(), COMPLETIONS, req, null);
        assertTrue(model.firstBatchEntered.await(60, java.util.concurrent.TimeUnit.SECONDS), "the model thread took a batch");
        CompletableFuture<HttpResponse<String>> queued = postAsync(s.port(), COMPLETIONS, req, null);
        ServeHttp.awaitState("1 request queued", () -> s.queued() == 1);
        Thread closer = new Thread(s::close, "test-closer");
        closer.start();
        ServeHttp.awaitState("close waiting for the model thread", () -> closer.getState() == Thread.State.WAITING);
        HttpResponse<String> late = post(s.port(), COMPLETIONS, req);
        assertEquals(503, late.statusCode(), late.body());
        model.open();
        assertEquals(200, running.get(60, java.util.concurrent.TimeUnit.SECONDS).statusCode());
        assertEquals(200, queued.get(60, java.util.concurrent.TimeUnit.SECONDS).statusCode());
        closer.join();
        ExecutionException refused = assertThrows(ExecutionException.class, () -> post(s.port(), COMPLETIONS, req));
        assertTrue(refused.getCause() instanceof java.net.ConnectException, refused.toString());
    }

    private static HttpResponse<String> post(int port, String path, String body) throws Exception {
        return ServeHttp.post(port, path, body, null);
    }

    /** OpenAI's error shape: all four fields present, the type, param and code as given. */
    static void assertError(HttpResponse<String> r, String type, String param, String code) throws Exception {
        JsonNode e = json(r).get("error");
        assertTrue(e != null && e.has("message") && e.has("type") && e.has("param") && e.has("code"), r.body());
        assertTrue(!e.get("message").asText().isBlank(), r.body());
        assertEquals(type, e.get("type").asText(), r.body());
        assertEquals(param, e.get("param").isNull() ? null : e.get("param").asText(), r.body());
        assertEquals(code, e.get("code").isNull() ? null : e.get("code").asText(), r.body());
    }
}
