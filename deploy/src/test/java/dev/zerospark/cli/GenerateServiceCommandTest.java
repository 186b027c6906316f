package dev.zerospark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.data.generate.GenerateOptions;
import dev.zerospark.data.generate.internal.ServiceClients;
import dev.zerospark.generate.TextCompleter;
import dev.zerospark.openai.ApiKey;
import dev.zerospark.serve.BatchModel;
import dev.zerospark.serve.FaultProxy;
import dev.zerospark.serve.ModelServer;
import dev.zerospark.serve.ServeSettings;
import dev.zerospark.table.Generations;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Tuple2;

/**
 * {@code generate --pipeline service} against a real {@code serve} on loopback, through a proxy that injects 429s
 * (with Retry-After), 500s and a 400; the rerun retries only the failed row; the API key shows up nowhere.
 */
class GenerateServiceCommandTest {
    private static final String KEY = "sk-zs-svc-test-7f3a9c2e1b";
    /** Named so that Spark's default spark.redaction.regex ((?i)secret|password|token|access[.]?key) covers it. */
    private static final String KEY_CONF = "spark.zerospark.generate.service.token";
    private static final StructType ARTICLES = DataTypes.createStructType(List.of(
            DataTypes.createStructField("article_id", DataTypes.StringType, true),
            DataTypes.createStructField("title", DataTypes.StringType, true),
            DataTypes.createStructField("text", DataTypes.StringType, true)));

    @TempDir Path tmp;

    private String articles(int n) {
        SparkSession spark = LocalSpark.session();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) rows.add(RowFactory.create("id-" + i, "Title " + i, "the storm reached the harbour " + i));
        String path = tmp.resolve("articles").toString();
        spark.createDataFrame(rows, ARTICLES).write().format("delta").save(path);
        return path;
    }

    private static JsonNode summary(CliRun r) throws Exception {
        return new ObjectMapper().readTree(r.out().strip().lines().reduce((a, b) -> b).orElseThrow());
    }

    private static CliRun generate(String endpoint, String input, String output) {
        return CliRun.of("generate", "--pipeline", "service", "--endpoint", endpoint, "--api-model", "tiny-gpt2", "--api-key-conf", KEY_CONF,
                "--api", "completions", "--max-concurrency", "3", "--input", input, "--output", output, "--max-new-tokens", "5",
                "--partitions", "2", "--master", "local[2]");
    }

    @Test
    void finishesEveryRowThroughInjected429sAnd500sAndARerunRepairsThe400Row() throws Exception {
        String input = articles(8);
        String output = tmp.resolve("riddles").toString();
        SparkContext sc = LocalSpark.session().sparkContext();
        sc.conf().set(KEY_CONF, KEY);
        AtomicBoolean faulty = new AtomicBoolean(true);
        FaultProxy.Faults faults = n -> !faulty.get() ? null : switch (n) {
            case 0 -> new FaultProxy.Fault(429, "1");
            case 1, 3 -> new FaultProxy.Fault(500, null);
            case 2 -> new FaultProxy.Fault(400, null);
            default -> null;
        };
        try (TextCompleter completer = TextCompleter.open(TestPaths.fixture("tiny-gpt2"));
             ModelServer serve = ModelServer.start(ServeSettings.loopback(0, "tiny-gpt2").withApiKey(ApiKey.of(KEY)), BatchModel.of(completer));
             FaultProxy proxy = FaultProxy.start(serve.port(), faults);
             LogCapture logs = LogCapture.start()) {
            int clients = ServiceClients.created();
            CliRun first = generate(proxy.uri() + "/v1", input, output);
            assertEquals(0, first.code(), first.toString());
            assertEquals(clients + 1, ServiceClients.created(), "the executor's two tasks shared one client");
            JsonNode s1 = summary(first);
            assertEquals(8, s1.get("generated").asLong(), first.toString());
            assertEquals(1, s1.get("errors").asLong(), "only the 400 is not retried: " + first);
            assertEquals(1, proxy.count(429));
            assertEquals(2, proxy.count(500));
            assertEquals(1, proxy.count(400));
            SparkSession spark = LocalSpark.session();
            List<Row> rows = spark.read().format("delta").load(output).collectAsList();
            assertEquals(8, rows.size());
            Row failed = rows.stream().filter(r -> "error".equals(r.getAs(Generations.FINISH_REASON))).findFirst().orElseThrow();
            assertTrue(((String) failed.getAs(Generations.ERROR)).contains("HTTP 400"), failed.toString());
            String failedId = failed.getAs(Generations.ARTICLE_ID);
            for (Row r : rows) {
                assertEquals("service:127.0.0.1/tiny-gpt2", r.getAs(Generations.MODEL_ID));
                assertTrue(((String) r.getAs(Generations.PROMPT)).contains("the storm reached the harbour"), r.toString());
                if (r != failed) {
                    assertTrue(List.of("stop", "length").contains((String) r.getAs(Generations.FINISH_REASON)), r.toString());
                    assertTrue((Integer) r.getAs(Generations.COMPLETION_TOKENS) > 0 && (Integer) r.getAs(Generations.PROMPT_TOKENS) > 0, r.toString());
                }
            }

            // The fault is gone (straight to serve, same host and model: the same model_id): only the failed row is retried.
            faulty.set(false);
            CliRun second = generate("http://127.0.0.1:" + serve.port(), input, output);
            assertEquals(0, second.code(), second.toString());
            JsonNode s2 = summary(second);
            assertEquals(1, s2.get("generated").asLong(), second.toString());
            assertEquals(7, s2.get("already_done").asLong());
            assertEquals(0, s2.get("errors").asLong());
            List<Row> after = spark.read().format("delta").load(output).collectAsList();
            assertEquals(8, after.size(), "the retried row replaced its error row: no duplicate key");
            assertEquals(8, after.stream().map(r -> r.getAs(Generations.ARTICLE_ID)).distinct().count());
            Row repaired = after.stream().filter(r -> failedId.equals(r.getAs(Generations.ARTICLE_ID))).findFirst().orElseThrow();
            assertFalse("error".equals(repaired.getAs(Generations.FINISH_REASON)), repaired.toString());
            assertNull(repaired.getAs(Generations.ERROR));
            for (Row r : after) {
                if (!failedId.equals(r.getAs(Generations.ARTICLE_ID))) {
                    Row before = rows.stream().filter(b -> b.getAs(Generations.ARTICLE_ID).equals(r.getAs(Generations.ARTICLE_ID))).findFirst().orElseThrow();
                    assertEquals(before, r, "a done row is never rewritten");
                }
            }
            CliRun third = generate("http://127.0.0.1:" + serve.port(), input, output);
            assertEquals(0, summary(third).get("generated").asLong(), third.toString());

            // The key, anywhere: logs, CLI output and errors, the table's rows, the Spark conf as the UI shows it, dumped config.
            List<String> seen = new ArrayList<>(List.of(logs.text(), first.toString(), second.toString(), third.toString()));
            for (Row r : spark.read().format("delta").load(output).collectAsList()) seen.add(r.toString());
            for (Row r : rows) seen.add(r.toString());
            // addFile posts an environment update, as the UI's environment page shows it. The file stays registered with this
            // JVM's shared SparkContext, and every later task re-checks it: it must outlive this test with the same contents
            // (a @TempDir file is deleted afterwards, and later training tasks then failed with "exists and does not match").
            Path marker = Files.createTempFile("zerospark-env-update", ".txt");
            Files.writeString(marker, "x");
            marker.toFile().deleteOnExit();
            sc.addFile(marker.toString());
            sc.listenerBus().waitUntilEmpty();
            // The page (and its REST API) shows the status store's properties through Utils.redact with the app's conf.
            boolean listed = false;
            for (Tuple2<String, String> p : scala.jdk.javaapi.CollectionConverters.asJava(
                    Utils.redact(sc.conf(), sc.statusStore().environmentInfo().sparkProperties()))) {
                seen.add(p._1() + "=" + p._2());
                if (p._1().equals(KEY_CONF)) {
                    listed = true;
                    assertTrue(p._2().contains("redacted"), p.toString());
                }
            }
            assertTrue(listed, "the environment page lists the key's conf entry (redacted)");
            for (Tuple2<String, String> p : sc.getConf().getAll()) seen.add(String.valueOf(Utils.redact(sc.conf(), scala.jdk.javaapi.CollectionConverters.asScala(List.of(p)).toSeq())));
            GenerateCommand cmd = new GenerateCommand();
            picocli.CommandLine cl = new picocli.CommandLine(cmd);
            cl.parseArgs("--pipeline", "service", "--endpoint", "http://127.0.0.1:1", "--api-model", "m", "--api-key-conf", KEY_CONF,
                    "--input", input, "--output", output);
            var resolved = cmd.resolve();
            seen.add(new ObjectMapper().writeValueAsString(resolved));
            seen.add(resolved.toString());
            seen.add(GenerateOptions.from(resolved, null).toString());
            for (String text : seen) assertFalse(text.contains(KEY), "the API key leaked into: " + text);
            assertTrue(logs.text().contains("got HTTP 429"), "the logs were captured: " + logs.text());
        } finally {
            sc.conf().remove(KEY_CONF);
        }
    }

    @Test
    void aKeyConfEntryTheRedactionRegexMissesIsRefused() {
        CliRun r = CliRun.of("generate", "--pipeline", "service", "--endpoint", "http://127.0.0.1:9", "--api-model", "m",
                "--api-key-conf", "spark.zerospark.apikey", "--input", articles(1), "--output", tmp.resolve("o").toString(), "--master", "local[2]");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("spark.zerospark.apikey is not covered by spark.redaction.regex"), r.err());
    }
}
