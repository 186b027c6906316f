package dev.zerospark.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.generate.TextCompleter;
import dev.zerospark.openai.ApiKey;
import dev.zerospark.openai.ChatMessage;
import dev.zerospark.openai.ClientSettings;
import dev.zerospark.openai.CompletionResult;
import dev.zerospark.openai.OpenAiClient;
import dev.zerospark.openai.RequestOptions;
import dev.zerospark.openai.RequestRejectedException;
import dev.zerospark.testing.TestPaths;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The core OpenAI client against {@code serve}: directly, through a proxy that injects 429s and 500s, and on serve's own 429. */
class OpenAiClientServeTest {
    private static final String ID = "tiny-gpt2";
    private static final String KEY = "client-serve-key-42";
    private static final List<String> PROMPTS = List.of("The bank said", "Shares of", "Oil prices", "A riddle", "Hello there", "Markets fell",
            "The company", "In London");
    private static TextCompleter completer;

    @BeforeAll
    static void load() throws Exception {
        completer = TextCompleter.open(TestPaths.fixture("tiny-gpt2"));
    }

    @AfterAll
    static void unload() {
        completer.close();
    }

    private static String direct(String prompt, int maxTokens, List<String> stop) {
        return completer.complete(List.of(prompt), completer.options(maxTokens, 0, 0, 1, 0, stop), TextCompleter.Truncation.LEFT).get(0).text();
    }

    private static ServeSettings settings() {
        return ServeSettings.loopback(0, ID).withLimits(8, 16, 1 << 16, 32).withApiKey(ApiKey.of(KEY));
    }

    private static ClientSettings client(URI endpoint) {
        return ClientSettings.of(endpoint, ID).withRetries(6, Duration.ofMillis(20), Duration.ofMillis(200)).withLimits(4, 0);
    }

    @Test
    void completionsAndChatEqualTheInProcessModelAndA400IsNotRetried() throws Exception {
        try (ModelServer s = ModelServer.start(settings(), BatchModel.of(completer));
             OpenAiClient c = OpenAiClient.create(client(URI.create("http://127.0.0.1:" + s.port() + "/v1")), ApiKey.of(KEY))) {
            CompletionResult r = c.complete("The quick brown fox", RequestOptions.greedy(8));
            assertEquals(direct("The quick brown fox", 8, List.of()), r.text());
            assertEquals(1, r.attempts());
            assertNotNull(r.promptTokens());
            assertEquals(r.completionTokens() == 8 ? "length" : "stop", r.finishReason());
            List<ChatMessage> chat = List.of(ChatMessage.user("Write a riddle"));
            assertEquals(direct(ChatPrompt.render(chat), 6, List.of(ChatPrompt.TURN_STOP)), c.chat(chat, RequestOptions.greedy(6)).text());
            assertEquals(direct(ChatPrompt.render(chat), 6, List.of(ChatPrompt.TURN_STOP)),
                    c.send(OpenAiClient.Api.CHAT, "Write a riddle", RequestOptions.greedy(6)).text());

            long batches = s.batches();
            RequestRejectedException e = assertThrows(RequestRejectedException.class, () -> c.complete("p", RequestOptions.greedy(33)));
            assertEquals(400, e.status());
            assertEquals("max_tokens", e.param());
            assertEquals(1, e.attempts());
            assertTrue(e.getMessage().contains("at most 32"), e.getMessage());
            assertEquals(batches, s.batches());
        }
    }

    @Test
    void everyRequestFinishesThroughInjected429sAnd500s() throws Exception {
        FaultProxy.Faults faults = n -> n < 2 ? new FaultProxy.Fault(429, "1") : n < 5 ? new FaultProxy.Fault(n == 4 ? 503 : 500, null) : null;
        ExecutorService callers = Executors.newFixedThreadPool(PROMPTS.size());
        try (ModelServer s = ModelServer.start(settings(), BatchModel.of(completer));
             FaultProxy proxy = FaultProxy.start(s.port(), faults);
             OpenAiClient c = OpenAiClient.create(client(proxy.uri()), ApiKey.of(KEY))) {
            List<Future<CompletionResult>> results = new ArrayList<>();
            for (String p : PROMPTS) results.add(callers.submit(() -> c.complete(p, RequestOptions.greedy(5))));
            int attempts = 0;
            for (int i = 0; i < PROMPTS.size(); i++) {
                CompletionResult r = results.get(i).get(60, java.util.concurrent.TimeUnit.SECONDS);
                assertEquals(direct(PROMPTS.get(i), 5, List.of()), r.text(), PROMPTS.get(i));
                attempts += r.attempts();
            }
            assertEquals(PROMPTS.size() + 5, attempts, "each injected fault cost one retry");
            assertEquals(2, proxy.count(429));
            assertEquals(PROMPTS.size(), proxy.count(200));
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void theClientRetriesServesOwn429UntilTheQueueHasRoom() throws Exception {
        GatedModel model = new GatedModel(completer);
        ExecutorService callers = Executors.newFixedThreadPool(4);
        ServeSettings tight = ServeSettings.loopback(0, ID).withLimits(1, 1, 1 << 16, 32);
        try (ModelServer s = ModelServer.start(tight, model);
             FaultProxy counting = FaultProxy.start(s.port(), n -> null);
             OpenAiClient c = OpenAiClient.create(client(counting.uri()), null)) {
            List<Future<CompletionResult>> results = new ArrayList<>();
            for (String p : PROMPTS.subList(0, 4)) results.add(callers.submit(() -> c.complete(p, RequestOptions.greedy(4))));
            // one request at the gate, one queued: the other two must have been refused before the gate opens
            ServeHttp.awaitState("two 429s from serve", () -> counting.count(429) >= 2);
            model.open();
            int attempts = 0;
            for (int i = 0; i < 4; i++) {
                assertEquals(direct(PROMPTS.get(i), 4, List.of()), results.get(i).get(60, java.util.concurrent.TimeUnit.SECONDS).text());
                attempts += results.get(i).get(60, java.util.concurrent.TimeUnit.SECONDS).attempts();
            }
            assertTrue(attempts >= 6, counting.statuses.toString());
        } finally {
            callers.shutdownNow();
        }
    }
}
