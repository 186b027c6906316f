package dev.zerospark.data.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.table.Articles;
import dev.zerospark.table.Generations;
import dev.zerospark.testing.LocalSpark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code generate --template few-shot --examples}: k seeded examples per prompt, never the article itself, reproducible. */
class GenerateFewShotTest {
    private static final StructType WITH_TARGET = DataTypes.createStructType(List.of(
            DataTypes.createStructField(Articles.ARTICLE_ID, DataTypes.StringType, true),
            DataTypes.createStructField(Articles.TEXT, DataTypes.StringType, true),
            DataTypes.createStructField(Articles.TARGET, DataTypes.StringType, true)));
    private static final Pattern EXAMPLE = Pattern.compile("\\[Article (\\d+)\\]: [^\\n]*\\n\\[Summary Riddle (\\d+)\\]: ([^\\n]*)\\n###\\n");

    /** Articles with a target for the same ids as the input's, each target naming its article: R<i>. */
    private static String examples(SparkSession spark, Path dir, int n, String text) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) rows.add(RowFactory.create(String.format("a-%03d", i), text != null ? text : "s", "R" + i));
        rows.add(RowFactory.create("no-target", "storm", null)); // not a candidate
        String path = dir.resolve("examples").toString();
        spark.createDataFrame(rows, WITH_TARGET).write().format("delta").mode("overwrite").save(path);
        return path;
    }

    private static GenerateOptions fewShot(String input, String output, String examples, int shots, int max) {
        GenerateOptions o = GenerateFixtures.options(GenerateFixtures.MODEL, input, output, 2, 3);
        return new GenerateOptions(o.model(), input, output, "few-shot", null, null, null, o.idCol(), o.textCol(), o.titleCol(),
                1, 0, 0, 1, 7, null, "fp32", 8192, 2, 3, new FewShotOptions(examples, shots, max), null);
    }

    private static Map<String, String> prompts(SparkSession spark, String output, String paramsHash) {
        Map<String, String> m = new TreeMap<>();
        for (Row r : spark.read().format("delta").load(output).where(Generations.PARAMS_HASH + " = '" + paramsHash + "'").collectAsList()) {
            m.put(r.getAs(Generations.ARTICLE_ID), r.getAs(Generations.PROMPT));
        }
        return m;
    }

    @Test
    void eachPromptShowsKSeededExamplesNeverItsOwnArticleAndARerunReproducesThem(@TempDir Path dir) {
        SparkSession spark = LocalSpark.session();
        String input = dir.resolve("articles").toString();
        // One-word articles and one-letter examples: the fixture's context is 64 tokens, and the examples must fit in it.
        List<Row> articles = new ArrayList<>();
        for (int i = 0; i < 8; i++) articles.add(RowFactory.create(String.format("a-%03d", i), "h" + i, "T", "storm", "validation"));
        GenerateFixtures.writeArticles(spark, input, articles);
        String examples = examples(spark, dir, 8, null);
        String output = dir.resolve("few").toString();
        // The fixture's 64-token context holds one example (about 25 tokens in this format) with an article, not two.
        GenerateSummary s = GenerateJob.run(spark, fewShot(input, output, examples, 1, 100));
        assertEquals(8, s.generated());
        assertEquals(0, s.errors());
        assertEquals(0, s.examplesDropped(), "a one-letter example fits the 63-token prompt budget");
        List<Row> rows = spark.read().format("delta").load(output).collectAsList();
        assertEquals(8, rows.size());
        for (Row r : rows) {
            String id = r.getAs(Generations.ARTICLE_ID);
            String prompt = r.getAs(Generations.PROMPT);
            assertEquals("few-shot", r.getAs(Generations.PIPELINE));
            Matcher m = EXAMPLE.matcher(prompt);
            List<String> shown = new ArrayList<>();
            int at = 0;
            while (m.find()) {
                assertEquals(at, m.start(), "examples come first, one after the other: " + prompt);
                assertEquals(String.valueOf(shown.size() + 1), m.group(1));
                assertEquals(m.group(1), m.group(2));
                shown.add(m.group(3));
                at = m.end();
            }
            assertEquals(1, shown.size(), prompt);
            assertFalse(shown.contains("R" + Integer.parseInt(id.substring(2))), "article " + id + " is its own example: " + prompt);
            assertTrue(prompt.substring(at).startsWith("[Article]: "), prompt);
            assertTrue(prompt.endsWith("[Summary Riddle]:"), prompt);
        }
        String hash = rows.get(0).getAs(Generations.PARAMS_HASH);
        // The draw depends on (seed, article id): not every article gets the same two examples.
        assertTrue(rows.stream().map(r -> EXAMPLE.matcher((String) r.getAs(Generations.PROMPT)).results().map(x -> x.group(3)).toList())
                .distinct().count() > 1);

        // A rerun into another table, with other partitioning, reproduces every prompt; into the same table, it has nothing to do.
        String again = dir.resolve("again").toString();
        GenerateJob.run(spark, fewShot(input, again, examples, 1, 100).withPartitions(3));
        assertEquals(8, prompts(spark, again, hash).size());
        assertEquals(prompts(spark, output, hash), prompts(spark, again, hash));
        assertEquals(0, GenerateJob.run(spark, fewShot(input, output, examples, 1, 100)).generated());

        // shots and the examples table's version are in params_hash: other rows, not skipped ones. Two shots do not
        // fit: every prompt keeps the draw's first example and drops the second, and the summary counts each drop.
        GenerateSummary two = GenerateJob.run(spark, fewShot(input, output, examples, 2, 100));
        assertEquals(8, two.generated());
        assertEquals(8, two.examplesDropped(), two.toJson());
        assertEquals(0, two.truncated(), "examples go before the article is cut");
        examples(spark, dir, 8, null); // a new version of the same table
        GenerateSummary newVersion = GenerateJob.run(spark, fewShot(input, output, examples, 1, 100));
        assertEquals(8, newVersion.generated());
        assertEquals(3, spark.read().format("delta").load(output).select(Generations.PARAMS_HASH).distinct().count());
    }

    @Test
    void examplesThatDoNotFitAreDroppedThenTheArticleIsCutAndBothAreCounted(@TempDir Path dir) {
        SparkSession spark = LocalSpark.session();
        String input = dir.resolve("articles").toString();
        GenerateFixtures.writeArticles(spark, input, GenerateFixtures.articles(4,
                RowFactory.create("long", "hl", "Long", "word ".repeat(300).strip(), "validation")));
        // Each example alone overflows the prompt budget: every prompt drops all three.
        String examples = examples(spark, dir, 4, "word ".repeat(80).strip());
        GenerateSummary s = GenerateJob.run(spark, fewShot(input, dir.resolve("out").toString(), examples, 3, 100));
        assertEquals(5, s.generated());
        assertEquals(5 * 3, s.examplesDropped(), s.toJson());
        assertEquals(1, s.truncated(), s.toJson());
        assertTrue(s.toJson().contains("\"examples_dropped\":15"), s.toJson());
        for (Row r : spark.read().format("delta").load(dir.resolve("out").toString()).collectAsList()) {
            String prompt = r.getAs(Generations.PROMPT);
            assertFalse(prompt.contains("[Article 1]"), prompt);
            assertEquals("long".equals(r.getAs(Generations.ARTICLE_ID)), (Boolean) r.getAs(Generations.TRUNCATED));
            assertTrue((Integer) r.getAs(Generations.PROMPT_TOKENS) <= 64 - 1, r.toString());
        }
    }

    @Test
    void tooManyCandidatesAndMissingOrUnusedExamplesAreRefusedNamingTheTable(@TempDir Path dir) {
        SparkSession spark = LocalSpark.session();
        String input = dir.resolve("articles").toString();
        GenerateFixtures.writeArticles(spark, input, GenerateFixtures.articles(4));
        String examples = examples(spark, dir, 8, null);
        String output = dir.resolve("out").toString();
        ExamplesTableException tooMany = assertThrows(ExamplesTableException.class, () -> GenerateJob.run(spark, fewShot(input, output, examples, 2, 7)));
        assertTrue(tooMany.getMessage().contains("examples table " + examples + " (version 0) has 8 example candidates, more than the 7"), tooMany.getMessage());
        assertTrue(tooMany.getMessage().contains("generate.max_examples"), tooMany.getMessage());
        GenerateOptions noExamples = fewShot(input, output, examples, 2, 100).withFewShot(null);
        assertTrue(assertThrows(ExamplesTableException.class, () -> GenerateJob.run(spark, noExamples)).getMessage().contains("--examples"));
        GenerateOptions riddle = GenerateFixtures.options(GenerateFixtures.MODEL, input, output, 2, 3).withFewShot(new FewShotOptions(examples, 2, 100));
        assertTrue(assertThrows(ExamplesTableException.class, () -> GenerateJob.run(spark, riddle)).getMessage().contains("has no {examples} placeholder"));
    }
}
