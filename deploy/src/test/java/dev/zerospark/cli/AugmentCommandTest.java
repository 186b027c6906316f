package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.data.augment.AugmentJob;
import dev.zerospark.data.generate.internal.ModelFiles;
import dev.zerospark.generate.TextCompleter;
import dev.zerospark.openai.ApiKey;
import dev.zerospark.serve.BatchModel;
import dev.zerospark.serve.ModelServer;
import dev.zerospark.serve.ServeSettings;
import dev.zerospark.table.Generations;
import io.delta.tables.DeltaTable;
import org.apache.spark.SparkContext;
import dev.zerospark.table.Articles;
import dev.zerospark.table.SftPairs;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code augment}: a teacher's targets (local or behind an endpoint) become sft_pairs train takes as they are; a rerun adds nothing. */
class AugmentCommandTest {
    private static final String KEY = "sk-zs-augment-test-5d1e8b7a";
    /** Named so that Spark's default spark.redaction.regex covers it. */
    private static final String KEY_CONF = "spark.zerospark.augment.service.token";

    @TempDir Path tmp;

    private static JsonNode last(CliRun r) throws Exception {
        String[] lines = r.out().strip().split("\n");
        return new ObjectMapper().readTree(lines[lines.length - 1]);
    }

    @Test
    void aTeacherWritesTargetsThatTrainUsesAndARerunAddsNothing() throws Exception {
        SparkSession spark = LocalSpark.session();
        Path sample = dev.zerospark.data.sample.SampleCorpus.write(tmp.resolve("sample"), 30, 5);
        String fixture = TestPaths.fixture("tiny-gpt2").toString();
        CliRun prep = CliRun.of("prepare", "--input", sample.toString(), "--tokenizer", fixture, "--output", tmp.resolve("tables").toString(), "--seq-len", "64");
        assertEquals(0, prep.code(), prep.toString());
        String articles = tmp.resolve("tables/articles").toString();
        String out = tmp.resolve("aug").toString();
        String[] args = {"augment", "--input", articles, "--teacher", fixture, "--output", out, "--limit", "8", "--seq-len", "64",
                "--min-words", "1", "--max-new-tokens", "4", "--template", "riddle", "--master", "local[2]"};
        CliRun first = CliRun.of(args);
        assertEquals(0, first.code(), first.toString());
        JsonNode s = last(first);
        long rejected = 0;
        for (Iterator<JsonNode> it = s.get("rejected").elements(); it.hasNext(); ) rejected += it.next().asLong();
        assertTrue(s.get("candidates").asLong() > 0, s.toString());
        assertEquals(s.get("candidates").asLong(), s.get("accepted").asLong() + rejected, "every candidate accepted or rejected with a reason: " + s);
        assertEquals(s.get("accepted").asLong(), s.get("inserted").asLong(), s.toString());
        assertTrue(s.get("accepted").asLong() > 0, "the tiny teacher wrote something the filters keep: " + s);

        Set<String> withoutTarget = spark.read().format("delta").load(articles)
                .filter(Articles.TARGET + " IS NULL OR trim(" + Articles.TARGET + ") = ''").select(Articles.ARTICLE_ID)
                .as(org.apache.spark.sql.Encoders.STRING()).collectAsList().stream().collect(Collectors.toSet());
        List<Row> rows = spark.read().format("delta").load(out).collectAsList();
        assertEquals(s.get("accepted").asLong(), rows.size());
        String teacherId = ModelFiles.modelId(fixture, new Configuration());
        for (Row r : rows) {
            assertTrue(withoutTarget.contains(r.<String>getAs(SftPairs.ARTICLE_ID)), "only articles without a target");
            assertEquals(AugmentJob.SELF_INSTRUCT, r.getAs(AugmentJob.SOURCE));
            assertEquals(teacherId, r.getAs(AugmentJob.TEACHER_ID));
            assertEquals("riddle", r.getAs(AugmentJob.TEMPLATE));
            assertTrue(r.getAs(AugmentJob.CREATED_AT) != null);
            assertEquals(64, r.<Integer>getList(r.fieldIndex(SftPairs.INPUT_IDS)).size());
            assertTrue(r.<Integer>getList(r.fieldIndex(SftPairs.LOSS_MASK)).stream().mapToInt(Integer::intValue).sum() > 0, "the response carries loss");
        }

        assertEquals(templateProperties(spark, tmp.resolve("tables/sft_pairs").toString()), templateProperties(spark, out),
                "the augmented table records its prompts' template, id and text sha256, as prepare's sft_pairs does");

        CliRun again = CliRun.of(args);
        assertEquals(0, again.code(), again.toString());
        assertEquals(0, last(again).get("inserted").asLong(), again.out());
        assertEquals(s.get("output_version").asLong(), last(again).get("output_version").asLong(), "no new commit");

        // train takes the augmented table as it is
        assertTrue(rows.stream().anyMatch(r -> Articles.TRAIN.equals(r.getAs(SftPairs.SPLIT))), "a train-split pair to train on");
        CliRun train = CliRun.of("train", "--model", fixture, "--data", out, "--world-size", "1", "--steps", "1",
                "--micro-batch-size", "1", "--checkpoint-dir", tmp.resolve("ckpt").toUri().toString(),
                "--run-dir", tmp.resolve("run").toUri().toString());
        assertEquals(0, train.code(), train.toString());
    }

    /**
     * The endpoint teacher: generate's service pipeline against a real serve on loopback with a key in a redacted Spark
     * conf entry. The same filters decide (every candidate accepted or rejected with a reason), the rows carry the
     * same provenance with teacher_id service:host/api model, a rerun adds nothing, and the key shows up nowhere.
     */
    @Test
    void anEndpointTeacherBehindServeWritesTargetsWithTheSameFiltersAndProvenance() throws Exception {
        SparkSession spark = LocalSpark.session();
        Path sample = dev.zerospark.data.sample.SampleCorpus.write(tmp.resolve("sample"), 30, 5);
        String fixture = TestPaths.fixture("tiny-gpt2").toString();
        CliRun prep = CliRun.of("prepare", "--input", sample.toString(), "--tokenizer", fixture, "--output", tmp.resolve("tables").toString(), "--seq-len", "64");
        assertEquals(0, prep.code(), prep.toString());
        String articles = tmp.resolve("tables/articles").toString();
        String out = tmp.resolve("aug").toString();
        SparkContext sc = spark.sparkContext();
        sc.conf().set(KEY_CONF, KEY);
        try (TextCompleter completer = TextCompleter.open(TestPaths.fixture("tiny-gpt2"));
             ModelServer serve = ModelServer.start(ServeSettings.loopback(0, "tiny-gpt2").withApiKey(ApiKey.of(KEY)), BatchModel.of(completer));
             LogCapture logs = LogCapture.start()) {
            String[] args = {"augment", "--input", articles, "--endpoint", "http://127.0.0.1:" + serve.port() + "/v1", "--api-model", "tiny-gpt2",
                    "--api-key-conf", KEY_CONF, "--api", "completions", "--max-concurrency", "2", "--tokenizer", fixture, "--output", out,
                    "--limit", "8", "--seq-len", "64", "--min-words", "1", "--max-new-tokens", "4", "--master", "local[2]"};
            CliRun first = CliRun.of(args);
            assertEquals(0, first.code(), first.toString());
            assertTrue(serve.batches() > 0, "the teacher's requests reached serve");
            JsonNode s = last(first);
            long rejected = 0;
            for (Iterator<JsonNode> it = s.get("rejected").elements(); it.hasNext(); ) rejected += it.next().asLong();
            assertEquals(8, s.get("candidates").asLong(), s.toString());
            assertEquals(0, s.get("rejected").get("error").asLong(), "every request answered: " + s);
            assertEquals(s.get("candidates").asLong(), s.get("accepted").asLong() + rejected, "every candidate accepted or rejected with a reason: " + s);
            assertTrue(s.get("accepted").asLong() > 0, "the served teacher wrote something the filters keep: " + s);

            String teacherId = "service:127.0.0.1/tiny-gpt2";
            List<Row> rows = spark.read().format("delta").load(out).collectAsList();
            assertEquals(s.get("accepted").asLong(), rows.size());
            for (Row r : rows) {
                assertEquals(AugmentJob.SELF_INSTRUCT, r.getAs(AugmentJob.SOURCE));
                assertEquals(teacherId, r.getAs(AugmentJob.TEACHER_ID));
                assertEquals("instruct", r.getAs(AugmentJob.TEMPLATE));
                assertTrue(r.getAs(AugmentJob.CREATED_AT) != null);
                assertEquals(64, r.<Integer>getList(r.fieldIndex(SftPairs.INPUT_IDS)).size());
            }
            List<Row> teacher = spark.read().format("delta").load(out + "_teacher_generations").collectAsList();
            assertEquals(8, teacher.size());
            for (Row g : teacher) {
                assertEquals(teacherId, g.getAs(Generations.MODEL_ID));
                assertTrue(((String) g.getAs(Generations.PROMPT)).startsWith("For the article below"), "the instruct prompt went to the endpoint");
            }
            assertEquals(templateProperties(spark, tmp.resolve("tables/sft_pairs").toString()), templateProperties(spark, out));

            CliRun again = CliRun.of(args);
            assertEquals(0, again.code(), again.toString());
            assertEquals(0, last(again).get("inserted").asLong(), again.out());
            assertEquals(s.get("output_version").asLong(), last(again).get("output_version").asLong(), "no new commit");

            List<String> seen = new ArrayList<>(List.of(first.toString(), again.toString(), logs.text()));
            for (Row r : spark.read().format("delta").load(out).collectAsList()) seen.add(r.toString());
            for (Row r : teacher) seen.add(r.toString());
            for (String text : seen) assertFalse(text.contains(KEY), "the API key leaked into: " + text);
        } finally {
            sc.conf().remove(KEY_CONF);
        }
    }

    @Test
    void aTeacherIsALocalDirectoryOrAnEndpointWithItsModelAndATokenizer() {
        String in = tmp.toString();
        String o = tmp.resolve("o").toString();
        List<List<String>> cases = List.of(
                List.of("--output", o),
                List.of("--teacher", in, "--endpoint", "http://127.0.0.1:1/v1", "--output", o),
                List.of("--endpoint", "http://127.0.0.1:1/v1", "--tokenizer", in, "--output", o),
                List.of("--endpoint", "http://127.0.0.1:1/v1", "--api-model", "m", "--output", o),
                List.of("--teacher", in, "--api-key-env", "SOME_KEY", "--output", o),
                List.of("--endpoint", "http://127.0.0.1:1/v1", "--api-model", "m", "--tokenizer", in, "--api", "grpc", "--output", o),
                List.of("--endpoint", "http://127.0.0.1:1/v1", "--api-model", "m", "--tokenizer", in, "--max-concurrency", "0", "--output", o));
        List<String> says = List.of("give a teacher", "not both", "--api-model", "--tokenizer", "--api-key-env applies to an --endpoint teacher",
                "generate.api", "generate.max_concurrency");
        for (int i = 0; i < cases.size(); i++) {
            List<String> argv = new ArrayList<>(List.of("augment", "--input", in));
            argv.addAll(cases.get(i));
            CliRun r = CliRun.of(argv.toArray(String[]::new));
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.err().contains(says.get(i)), argv + " says " + says.get(i) + ": " + r.err());
        }
    }

    private static Map<String, String> templateProperties(SparkSession spark, String table) {
        Map<String, String> all = DeltaTable.forPath(spark, table).detail().select("properties").first().getJavaMap(0);
        Map<String, String> t = new TreeMap<>();
        for (String k : List.of(SftPairs.TEMPLATE_ID_PROPERTY, SftPairs.TEMPLATE_SHA256_PROPERTY)) {
            assertTrue(all.containsKey(k), table + " records " + k + ": " + all);
            t.put(k, all.get(k));
        }
        return t;
    }
}
