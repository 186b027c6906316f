package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code zerospark serve} and {@code bench serve} from the command line: wiring, usage errors, the bench's output. */
class ServeCommandTest {
    private static String model() {
        return TestPaths.fixture("tiny-gpt2").toString();
    }

    @Test
    void servesUntilStoppedAndPrintsWhereItListens() throws Exception {
        CommandLine cl = ZeroSpark.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(new StringWriter(), true));
        ServeCommand cmd = (ServeCommand) cl.getSubcommands().get("serve").getCommandSpec().userObject();
        AtomicInteger code = new AtomicInteger(-1);
        Thread running = new Thread(() -> code.set(cl.execute("serve", "--model", model(), "--port", "0", "--model-name", "riddler")));
        running.start();
        assertTrue(cmd.started.await(60, TimeUnit.SECONDS), "serve did not start: " + out);
        int port = cmd.server.port();
        assertTrue(out.toString().contains("serving riddler from ") && out.toString().contains(":" + port + "/v1"), out.toString());
        HttpResponse<String> models = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("riddler", new ObjectMapper().readTree(models.body()).at("/data/0/id").asText());
        cmd.server.close(); // what the SIGTERM hook does
        running.join(60_000);
        assertEquals(0, code.get());
    }

    @Test
    void anUnsetKeyVariableOrBadLimitIsAUsageErrorNamingIt() {
        CliRun r = CliRun.of("serve", "--model", model(), "--port", "0", "--api-key-env", "ZS_SERVE_TEST_UNSET_KEY");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--api-key-env") && r.err().contains("ZS_SERVE_TEST_UNSET_KEY") && r.err().contains("not set"), r.err());
        CliRun q = CliRun.of("serve", "--model", model(), "--port", "0", "--queue-size", "0");
        assertEquals(2, q.code(), q.toString());
        assertTrue(q.err().contains("--queue-size must be at least 1, got 0"), q.err());
        CliRun m = CliRun.of("serve", "--model", "/nonexistent/model", "--port", "0");
        assertEquals(2, m.code(), m.toString());
        assertTrue(m.err().contains("/nonexistent/model") && m.err().contains("does not exist"), m.err());
    }

    @Test
    void benchServePrintsATableAndAJsonRowPerClientCount() throws Exception {
        CliRun r = CliRun.of("bench", "serve", "--model", model(), "--clients", "1,4", "--requests", "8", "--max-tokens", "4");
        assertEquals(0, r.code(), r.toString());
        String[] lines = r.out().strip().split("\n");
        JsonNode j = new ObjectMapper().readTree(lines[lines.length - 1]);
        assertEquals(8, j.get("requests").asInt());
        assertEquals(2, j.get("rows").size());
        JsonNode one = j.get("rows").get(0);
        assertEquals(1, one.get("clients").asInt());
        assertEquals(1.0, one.at("/serve/mean_batch").asDouble(), 1e-9, "one client: every batch holds one request");
        for (JsonNode row : j.get("rows")) {
            assertTrue(row.at("/serve/requests_per_s").asDouble() > 0 && row.at("/in_process/requests_per_s").asDouble() > 0, row.toString());
            assertTrue(row.at("/serve/p99_ms").asDouble() >= row.at("/serve/p50_ms").asDouble(), row.toString());
        }
        assertEquals(2, CliRun.of("bench", "serve", "--model", model(), "--clients", "0").code());
    }
}
