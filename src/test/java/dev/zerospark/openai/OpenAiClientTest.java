package dev.zerospark.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.openai.ScriptedServer.Reply;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.junit.jupiter.api.Test;

/** The client against a real loopback server that scripts failures: retries, limits, per-request errors, the key. */
class OpenAiClientTest {
    private static final String KEY = "sk-test-5f0c1e2d9a8b7c6d";

    private static ClientSettings fast(ScriptedServer s) {
        return ClientSettings.of(s.uri(), "tiny").withRetries(5, Duration.ofMillis(10), Duration.ofMillis(50));
    }

    @Test
    void sendsOpenAiRequestsAndReadsTextFinishReasonAndUsage() throws Exception {
        try (ScriptedServer s = ScriptedServer.start((n, r) -> Reply.completion("answer " + n));
             OpenAiClient c = OpenAiClient.create(fast(s), ApiKey.of(KEY))) {
            RequestOptions o = new RequestOptions(7, 0.5, 0.9, List.of("\n"), 42L);
            CompletionResult done = c.complete("Say hi", o);
            assertEquals("answer 0", done.text());
            assertEquals("stop", done.finishReason());
            assertEquals(3, done.promptTokens());
            assertEquals(2, done.completionTokens());
            assertEquals(1, done.attempts());
            CompletionResult chat = c.chat(List.of(ChatMessage.system("be brief"), ChatMessage.user("hi")), RequestOptions.greedy(3));
            assertEquals("answer 1", chat.text());

            ScriptedServer.Seen first = s.seen.get(0);
            assertEquals("/v1/completions", first.path());
            assertEquals("Bearer " + KEY, first.authorization());
            assertEquals("tiny", first.body().get("model").asText());
            assertEquals("Say hi", first.body().get("prompt").asText());
            assertEquals(7, first.body().get("max_tokens").asInt());
            assertEquals(0.9, first.body().get("top_p").asDouble());
            assertEquals("\n", first.body().get("stop").get(0).asText());
            assertEquals(42, first.body().get("seed").asLong());
            ScriptedServer.Seen second = s.seen.get(1);
            assertEquals("/v1/chat/completions", second.path());
            assertEquals("system", second.body().get("messages").get(0).get("role").asText());
            assertEquals("hi", second.body().get("messages").get(1).get("content").asText());
            assertFalse(second.body().has("seed"));
        }
    }

    @Test
    void waitsAtLeastRetryAfterOn429AndRetries5xxUntilDone() throws Exception {
        Script script = (n, r) -> switch (n) {
            case 0 -> Reply.error(429, "slow down", null, "1");
            case 1 -> Reply.error(500, "boom", null, null);
            case 2 -> Reply.error(503, "busy", null, null);
            default -> Reply.completion("ok");
        };
        try (ScriptedServer s = ScriptedServer.start(script); OpenAiClient c = OpenAiClient.create(fast(s), null)) {
            CompletionResult done = c.complete("p", RequestOptions.greedy(1));
            assertEquals("ok", done.text());
            assertEquals(4, done.attempts());
            long gap = s.seen.get(1).arrivalNanos() - s.seen.get(0).arrivalNanos();
            assertTrue(gap >= TimeUnit.SECONDS.toNanos(1), "Retry-After: 1 honoured, gap " + gap / 1e6 + " ms");
            assertTrue(done.latency().toMillis() >= 1000, done.toString());
        }
    }

    /** Lets a lambda be a {@link ScriptedServer.Script} in a switch expression. */
    private interface Script extends ScriptedServer.Script {}

    @Test
    void anOther4xxIsNotRetriedAndCarriesStatusMessageAndParam() throws Exception {
        try (ScriptedServer s = ScriptedServer.start((n, r) -> Reply.error(400, "max_tokens must be <= 64", "max_tokens", null));
             OpenAiClient c = OpenAiClient.create(fast(s), null)) {
            RequestRejectedException e = assertThrows(RequestRejectedException.class, () -> c.complete("p", RequestOptions.greedy(999)));
            assertEquals(400, e.status());
            assertEquals(1, e.attempts());
            assertEquals("max_tokens", e.param());
            assertEquals("max_tokens must be <= 64", e.serverMessage());
            assertTrue(e.getMessage().contains("HTTP 400") && e.getMessage().contains("max_tokens must be <= 64"), e.getMessage());
            assertEquals(1, s.seen.size(), "a 400 is not retried");
        }
    }

    @Test
    void givesUpAfterMaxAttemptsNamingTheLastStatus() throws Exception {
        try (ScriptedServer s = ScriptedServer.start((n, r) -> Reply.error(502, "bad gateway", null, null));
             OpenAiClient c = OpenAiClient.create(fast(s).withRetries(3, Duration.ofMillis(5), Duration.ofMillis(10)), null)) {
            RetriesExhaustedException e = assertThrows(RetriesExhaustedException.class, () -> c.complete("p", RequestOptions.greedy(1)));
            assertEquals(502, e.status());
            assertEquals(3, e.attempts());
            assertEquals(3, s.seen.size());
            assertTrue(e.getMessage().contains("3 attempts") && e.getMessage().contains("bad gateway"), e.getMessage());
        }
    }

    @Test
    void retriesATimedOutAttempt() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (ScriptedServer s = ScriptedServer.start((n, r) -> {
                if (n == 0) release.await(10, TimeUnit.SECONDS); // held until the client has given up on it
                return Reply.completion("late");
            });
             OpenAiClient c = OpenAiClient.create(fast(s).withRequestTimeout(Duration.ofMillis(300)), null)) {
            CompletionResult done = c.complete("p", RequestOptions.greedy(1));
            assertEquals(2, done.attempts());
            assertEquals("late", done.text());
        } finally {
            release.countDown();
        }
    }

    @Test
    void neverHasMoreThanMaxConcurrencyRequestsInFlight() throws Exception {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        CyclicBarrier pairs = new CyclicBarrier(2); // two in flight meet here and go on together; a third would be counted
        ScriptedServer.Script script = (n, r) -> {
            most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                pairs.await(10, TimeUnit.SECONDS);
            } catch (BrokenBarrierException e) {
                throw new AssertionError("barrier broken", e);
            }
            inFlight.decrementAndGet();
            return Reply.completion("ok");
        };
        ExecutorService callers = Executors.newFixedThreadPool(8);
        try (ScriptedServer s = ScriptedServer.start(script); OpenAiClient c = OpenAiClient.create(fast(s).withLimits(2, 0), null)) {
            List<Future<CompletionResult>> all = new ArrayList<>();
            for (int i = 0; i < 8; i++) all.add(callers.submit(() -> c.complete("p", RequestOptions.greedy(1))));
            for (Future<CompletionResult> f : all) assertEquals("ok", f.get(30, TimeUnit.SECONDS).text());
            assertEquals(2, most.get());
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void spacesAttemptsAtTheRequestsPerMinuteLimit() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(5);
        try (ScriptedServer s = ScriptedServer.start((n, r) -> Reply.completion("ok"));
             OpenAiClient c = OpenAiClient.create(fast(s).withLimits(5, 600), null)) { // one per 100 ms
            List<Future<CompletionResult>> all = new ArrayList<>();
            for (int i = 0; i < 5; i++) all.add(callers.submit(() -> c.complete("p", RequestOptions.greedy(1))));
            for (Future<CompletionResult> f : all) f.get(30, TimeUnit.SECONDS);
            List<Long> at = s.seen.stream().map(ScriptedServer.Seen::arrivalNanos).sorted().toList();
            // slots are 100 ms apart, so 5 arrivals span 400 ms; the first may arrive late by its connection setup
            long span = at.get(4) - at.get(0);
            assertTrue(span >= TimeUnit.MILLISECONDS.toNanos(300), "5 requests at 600/min arrived within " + span / 1e6 + " ms");
        } finally {
            callers.shutdownNow();
        }
    }

    /** A server that echoes the Authorization header in its errors (as some do) must not get the key into our logs or exceptions. */
    @Test
    void theKeyAppearsInNoLogLineExceptionOrToString() throws Exception {
        Script echo = (n, r) -> switch (n % 3) {
            case 0 -> Reply.error(500, "internal error for " + r.authorization(), null, "0");
            case 1 -> Reply.error(401, "Incorrect API key provided: " + r.authorization(), r.authorization(), null);
            default -> new Reply(200, "not json " + r.authorization(), null);
        };
        StringWriter logs = new StringWriter();
        List<Throwable> thrown = new ArrayList<>();
        List<String> printed = new ArrayList<>();
        try (ScriptedServer s = ScriptedServer.start(echo); AutoCloseable capture = capture(logs);
             OpenAiClient c = OpenAiClient.create(fast(s), ApiKey.of(KEY))) {
            thrown.add(assertThrows(RequestRejectedException.class, () -> c.complete("p", RequestOptions.greedy(1)))); // 500 then 401
            thrown.add(assertThrows(MalformedResponseException.class, () -> c.complete("p", RequestOptions.greedy(1)))); // 200 not JSON
            try (OpenAiClient once = OpenAiClient.create(fast(s).withRetries(1, Duration.ofMillis(1), Duration.ofMillis(1)), ApiKey.of(KEY))) {
                thrown.add(assertThrows(RetriesExhaustedException.class, () -> once.complete("p", RequestOptions.greedy(1)))); // 500
                printed.add(once.toString());
            }
            assertEquals("Bearer " + KEY, s.seen.get(0).authorization(), "the server did get the key");
            printed.add(c.toString());
            printed.add(ApiKey.of(KEY).toString());
            printed.add(fast(s).toString());
        }
        assertTrue(logs.toString().contains("HTTP 500"), "the retry was logged: " + logs);
        for (Throwable t : thrown) {
            StringWriter trace = new StringWriter();
            t.printStackTrace(new PrintWriter(trace));
            printed.add(trace.toString());
            printed.add(t.toString());
            if (t instanceof RequestRejectedException r) {
                printed.add(r.serverMessage());
                printed.add(r.param());
            }
        }
        printed.add(logs.toString());
        for (String p : printed) assertFalse(p.contains(KEY) || p.contains(KEY.substring(3)), "key leaked in: " + p);
        assertTrue(String.join("\n", printed).contains("[redacted]"), "the echoed key was replaced");
    }

    @Test
    void aMissingKeyVariableIsNamedWithoutAValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ApiKey.fromEnv("ZS_TEST_SURELY_UNSET_KEY_VAR"));
        assertTrue(e.getMessage().contains("ZS_TEST_SURELY_UNSET_KEY_VAR") && e.getMessage().contains("not set"), e.getMessage());
        assertNull(ApiKey.of(KEY).redact(null));
        assertTrue(ApiKey.of(KEY).matchesBearer("Bearer " + KEY));
        assertFalse(ApiKey.of(KEY).matchesBearer("Bearer " + KEY + "x"));
        assertFalse(ApiKey.of(KEY).matchesBearer(KEY));
    }

    /** Every {@code dev.zerospark} log line, at every level, into {@code sink} until closed. */
    private static AutoCloseable capture(StringWriter sink) {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        WriterAppender appender = WriterAppender.newBuilder().setName("key-capture-" + System.nanoTime()).setTarget(sink)
                .setLayout(PatternLayout.newBuilder().withPattern("%p %c %m %throwable%n").build()).build();
        appender.start();
        LoggerConfig config = ctx.getConfiguration().getLoggerConfig("dev.zerospark");
        Level before = config.getLevel();
        config.setLevel(Level.ALL);
        config.addAppender(appender, Level.ALL, null);
        ctx.updateLoggers();
        return () -> {
            config.removeAppender(appender.getName());
            config.setLevel(before);
            ctx.updateLoggers();
            appender.stop();
        };
    }
}
