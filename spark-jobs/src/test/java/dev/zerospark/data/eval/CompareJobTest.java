package dev.zerospark.data.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.eval.Bootstrap;
import dev.zerospark.eval.NothingToScoreException;
import dev.zerospark.eval.RougeScorer;
import dev.zerospark.eval.RougeScores;
import dev.zerospark.spark.Contracts;
import dev.zerospark.table.EvalResults;
import dev.zerospark.table.Generations;
import dev.zerospark.testing.LocalSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** eval compare on two small pipelines: the numbers are the core scorer's per-row results averaged. */
class CompareJobTest {
    private static final String[] REFS = {
        "What runs but never walks? A river, in the news today.",
        "I have keys but open no locks: the piano at the concert.",
        "Tall when young, short when old: the candle of the vigil.",
        "The more you take, the more you leave behind: footsteps in the snow.",
        "What has a neck but no head? The bottle the mayor broke.",
        "What gets wetter as it dries? The towel of the champion.",
        "What has hands but cannot clap? The clock of the tower."};

    @TempDir Path tmp;

    private static String fewShot(int i) {
        return i == 2 ? "<script>alert('x')</script> a candle" : REFS[i].replace("the", "a").toUpperCase();
    }

    private static String instruct(int i) {
        return "A riddle about article " + i + ": what runs and " + (i % 2 == 0 ? "keys" : "never") + " ends?";
    }

    private String writeTables() {
        SparkSession spark = LocalSpark.session();
        Timestamp now = new Timestamp(0);
        List<Row> gen = new ArrayList<>();
        for (int i = 0; i < REFS.length; i++) {
            gen.add(RowFactory.create("a" + i, null, 0L, "few-shot", "m-base", "p1", 1L, "prompt", 10, i == 3, fewShot(i), 5, "eos", null, "r", now));
            boolean error = i == 4;
            gen.add(RowFactory.create("a" + i, null, 0L, "instruct", "m-inst", "p1", 1L, "prompt", 10, false, error ? null : instruct(i), 5,
                    error ? "error" : "length", error ? "boom" : null, "r", now));
        }
        // an article with no reference is left out of the join
        gen.add(RowFactory.create("orphan", null, 0L, "instruct", "m-inst", "p1", 1L, "prompt", 10, false, "x", 1, "eos", null, "r", now));
        String generations = tmp.resolve("generations").toString();
        spark.createDataFrame(gen, Contracts.schema(Generations.CONTRACT)).write().format("delta").save(generations);
        List<Row> ref = new ArrayList<>();
        for (int i = 0; i < REFS.length; i++) ref.add(RowFactory.create("h" + i, "a" + i, "validation", REFS[i]));
        StructType schema = new StructType().add("content_hash", DataTypes.StringType).add("article_id", DataTypes.StringType)
                .add("split", DataTypes.StringType).add("response", DataTypes.StringType);
        spark.createDataFrame(ref, schema).write().format("delta").save(tmp.resolve("sft_pairs").toString());
        return generations;
    }

    private CompareOptions options(String generations, List<String> pipelines, long seed) {
        return new CompareOptions(generations, pipelines, tmp.resolve("sft_pairs").toString(), tmp.resolve("report").toString(),
                tmp.resolve("report/eval_results").toString(), 500, seed, true);
    }

    @Test
    void meansAreTheScorersPerRowResultsAveragedWithReproducibleIntervals() throws Exception {
        String generations = writeTables();
        CompareJob.Summary s = CompareJob.run(LocalSpark.session(), options(generations, List.of("instruct", "few-shot"), 42),
                Map.of("m-base", 12.5));
        assertEquals(List.of("instruct", "few-shot"), s.pipelines().stream().map(PipelineScores::pipeline).toList(), "the order asked for");
        RougeScorer scorer = RougeScorer.create(true);
        for (PipelineScores p : s.pipelines()) {
            assertEquals(REFS.length, p.pairs());
            for (String type : RougeScores.TYPES) {
                double sum = 0;
                for (int i = 0; i < REFS.length; i++) {
                    String prediction = p.pipeline().equals("few-shot") ? fewShot(i) : i == 4 ? "" : instruct(i);
                    sum += scorer.score(REFS[i], prediction).get(type).f();
                }
                Bootstrap.Interval ci = p.rougeF().get(type);
                assertEquals(sum / REFS.length, ci.mean(), 1e-12, p.pipeline() + " " + type);
                assertTrue(ci.low() <= ci.mean() && ci.mean() <= ci.high(), ci.toString());
                assertTrue(ci.high() > ci.low(), "a real interval: " + ci);
            }
        }
        PipelineScores few = s.pipelines().get(1);
        PipelineScores inst = s.pipelines().get(0);
        assertEquals(0, few.errors());
        assertEquals(1, few.truncated());
        assertEquals(12.5, few.perplexity());
        assertEquals(1, inst.errors());
        assertEquals(null, inst.perplexity());
        assertEquals(null, inst.latencyMsMean(), "the table records no latency");

        String html = Files.readString(tmp.resolve("report/report.html"));
        assertTrue(html.contains("<h2>few-shot</h2>") && html.contains("<h2>instruct</h2>"), html);
        assertTrue(html.contains("<svg") && html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), html);
        assertFalse(html.contains("<script"), "a riddle's markup is escaped, and the report has no script of its own");
        assertTrue(html.contains("500 resamples, seed 42"), html);
        for (int i = 0; i < 5; i++) assertTrue(html.contains("<td>a" + i + "</td>"), "article a" + i + " shown side by side");
        assertFalse(html.contains("<td>a5</td>"), "five articles only");
        assertTrue(html.contains("12.5000"), "the perplexity given for m-base");

        CompareJob.Summary again = CompareJob.run(LocalSpark.session(), options(generations, List.of("instruct", "few-shot"), 42), Map.of());
        assertEquals(s.pipelines().get(0).rougeF(), again.pipelines().get(0).rougeF(), "one seed, one interval");
        CompareJob.Summary other = CompareJob.run(LocalSpark.session(), options(generations, List.of("instruct", "few-shot"), 7), Map.of());
        assertNotEquals(s.pipelines().get(0).rougeF().get("rouge1").low(), other.pipelines().get(0).rougeF().get("rouge1").low());

        List<Row> results = LocalSpark.session().read().format("delta").load(tmp.resolve("report/eval_results").toString())
                .filter(EvalResults.RUN_ID + " = '" + s.runId() + "'").collectAsList();
        // per pipeline 4 ROUGE rows and pairs, errors, truncated; few-shot also perplexity
        assertEquals(2 * 7 + 1, results.size());
        Row r1 = results.stream().filter(r -> r.getAs(EvalResults.PIPELINE).equals("few-shot") && r.getAs(EvalResults.METRIC).equals("rouge1_f"))
                .findFirst().orElseThrow();
        assertEquals(few.rougeF().get("rouge1").mean(), (double) r1.getAs(EvalResults.VALUE), 1e-15);
        assertEquals(few.rougeF().get("rouge1").low(), (double) r1.getAs(EvalResults.CI_LOW), 1e-15);
        assertEquals(42L, (long) r1.getAs(EvalResults.BOOTSTRAP_SEED));

    }

    @Test
    void anUnknownPipelineIsNamedWithThoseTheTableHas() {
        String generations = writeTables();
        NothingToScoreException e = assertThrows(NothingToScoreException.class,
                () -> CompareJob.run(LocalSpark.session(), options(generations, List.of("few-shot", "servce"), 1), Map.of()));
        assertTrue(e.getMessage().contains("'servce'") && e.getMessage().contains("[few-shot, instruct]"), e.getMessage());
    }
}
