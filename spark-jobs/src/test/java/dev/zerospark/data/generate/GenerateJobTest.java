package dev.zerospark.data.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.zerospark.config.ConfigException;
import dev.zerospark.data.generate.internal.ModelCache;
import dev.zerospark.generate.TextCompleter;
import dev.zerospark.table.Generations;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateJobTest {
    private static final String LONG = "word ".repeat(400).strip();

    private static Dataset<Row> table(SparkSession spark, String path) {
        return spark.read().format("delta").load(path);
    }

    private static void assertKeysUnique(Dataset<Row> out) {
        long distinct = out.select(Generations.CONTRACT.key().stream().map(org.apache.spark.sql.functions::col).toArray(org.apache.spark.sql.Column[]::new))
                .distinct().count();
        assertEquals(out.count(), distinct, "a key appears more than once");
    }

    @Test
    void generatesEveryArticleWithErrorsAndTruncationCountedThenRerunGeneratesNothing(@TempDir Path dir) {
        SparkSession spark = LocalSpark.session();
        String input = dir.resolve("articles").toString();
        String output = dir.resolve("riddles").toString();
        GenerateFixtures.writeArticles(spark, input, GenerateFixtures.articles(8,
                RowFactory.create("empty", "he", "Empty", "", "validation"),
                RowFactory.create("null", "hn", "Null", null, "validation"),
                RowFactory.create("long", "hl", "Long", LONG, "validation")));
        GenerateSummary s = GenerateJob.run(spark, GenerateFixtures.options(GenerateFixtures.MODEL, input, output, 2, 3));
        assertEquals(11, s.articles());
        assertEquals(11, s.generated());
        assertEquals(0, s.alreadyDone());
        assertEquals(2, s.errors());
        assertTrue(s.truncated() >= 1, s.toString());
        assertEquals(0, s.inputVersion());
        assertTrue(s.completionTokens() > 0 && s.promptTokens() > 0 && s.tokensPerS() > 0, s.toString());

        Dataset<Row> out = table(spark, output);
        assertEquals(11, out.count());
        assertKeysUnique(out);
        assertEquals(Set.copyOf(Generations.CONTRACT.names()), Set.of(out.columns()));
        Row empty = out.where("article_id = 'empty'").first();
        assertEquals("error", empty.getAs(Generations.FINISH_REASON));
        assertTrue(((String) empty.getAs(Generations.ERROR)).contains("empty text (column text)"), empty.toString());
        assertEquals("error", out.where("article_id = 'null'").first().getAs(Generations.FINISH_REASON));
        assertEquals(s.truncated(), out.where(Generations.TRUNCATED).count());
        assertFalse((Boolean) out.where("article_id = 'a-000'").first().getAs(Generations.TRUNCATED), "a one-word article fits");
        Row longRow = out.where("article_id = 'long'").first();
        assertTrue((Boolean) longRow.getAs(Generations.TRUNCATED));
        assertTrue((Integer) longRow.getAs(Generations.PROMPT_TOKENS) <= 64 - 6, longRow.toString());
        assertNull(longRow.getAs(Generations.ERROR));
        Set<String> reasons = out.select(Generations.FINISH_REASON).distinct().collectAsList().stream().map(r -> r.getString(0)).collect(Collectors.toSet());
        assertTrue(Set.of("eos", "stop", "length", "error").containsAll(reasons), reasons.toString());
        assertEquals(1, out.select(Generations.MODEL_ID, Generations.PARAMS_HASH, Generations.RUN_ID).distinct().count());
        assertEquals("riddle", out.first().getAs(Generations.PIPELINE));

        GenerateSummary again = GenerateJob.run(spark, GenerateFixtures.options(GenerateFixtures.MODEL, input, output, 2, 3));
        assertEquals(0, again.generated());
        assertEquals(11, again.alreadyDone());
        assertEquals(s.outputVersion(), again.outputVersion(), "a rerun with nothing to do commits nothing");
        assertEquals(11, table(spark, output).count());

        // Other parameters are other rows: the key holds params_hash.
        GenerateOptions sampled = new GenerateOptions(GenerateFixtures.MODEL, input, output, "riddle", null, "article_id < 'a-004'", null,
                "article_id", "text", "title", 6, 0.8, 20, 0.95, 3, null, "fp32", 8192, 2, 3);
        GenerateSummary third = GenerateJob.run(spark, sampled);
        assertEquals(4, third.articles());
        assertEquals(4, third.generated());
        assertEquals(15, table(spark, output).count());
        assertKeysUnique(table(spark, output));
    }

    @Test
    void greedyRowsEqualCompleteOfTheirPrompt(@TempDir Path dir) throws Exception {
        SparkSession spark = LocalSpark.session();
        String input = dir.resolve("articles").toString();
        String output = dir.resolve("riddles").toString();
        GenerateFixtures.writeArticles(spark, input, GenerateFixtures.articles(12, RowFactory.create("long", "hl", "Long", LONG, "v")));
        GenerateJob.run(spark, GenerateFixtures.options(GenerateFixtures.MODEL, input, output, 2, 7));
        List<Row> rows = table(spark, output).collectAsList();
        assertEquals(13, rows.size());
        try (TextCompleter completer = TextCompleter.open(Path.of(GenerateFixtures.MODEL))) {
            for (Row r : rows) {
                String prompt = r.getAs(Generations.PROMPT);
                TextCompleter.Completion c = completer.complete(List.of(prompt), completer.options(6, 0, 0, 1, 0, List.of("\n\n"))).get(0);
                assertEquals(c.text(), r.getAs(Generations.COMPLETION), "article " + r.getAs(Generations.ARTICLE_ID));
                assertEquals(c.tokens().length, (int) r.getAs(Generations.COMPLETION_TOKENS));
                assertEquals(c.promptTokens(), (int) r.getAs(Generations.PROMPT_TOKENS));
                assertEquals(0, c.cutTokens());
            }
        }
    }

    @Test
    void fourTasksOnOneExecutorLoadTheModelOnce(@TempDir Path dir) throws Exception {
        SparkSession spark = LocalSpark.session();
        String input = dir.resolve("articles").toString();
        GenerateFixtures.writeArticles(spark, input, GenerateFixtures.articles(16));
        // Hold another model first, so the run must load its own whatever earlier tests left in the cache.
        try (ModelCache.Lease other = ModelCache.acquire("other", Device.cpu(), "fp32", () -> TestPaths.fixture("tiny-llama"))) {
            assertNotNull(other.completer());
        }
        int before = ModelCache.loads();
        GenerateSummary s = GenerateJob.run(spark, GenerateFixtures.options(GenerateFixtures.MODEL, input, dir.resolve("out").toString(), 4, 4));
        assertEquals(16, s.generated());
        assertEquals(1, ModelCache.loads() - before, "one executor (local[2]) ran 4 tasks");
    }

    @Test
    void aDifferentModelEvictsAndClosesTheOldOne() throws Exception {
        TextCompleter first;
        try (ModelCache.Lease a = ModelCache.acquire("gpt2-for-evict", Device.cpu(), "fp32", () -> TestPaths.fixture("tiny-gpt2"))) {
            first = a.completer();
            assertTrue(first.model().parameters().manager().isOpen());
        }
        int before = ModelCache.loads();
        try (ModelCache.Lease again = ModelCache.acquire("gpt2-for-evict", Device.cpu(), "fp32", () -> TestPaths.fixture("tiny-gpt2"))) {
            assertTrue(again.completer() == first, "the same model is served from the cache");
        }
        assertEquals(before, ModelCache.loads());
        try (ModelCache.Lease b = ModelCache.acquire("llama-for-evict", Device.cpu(), "fp32", () -> TestPaths.fixture("tiny-llama"))) {
            assertFalse(first.model().parameters().manager().isOpen(), "the evicted model's NDManager is closed");
            assertTrue(b.completer().model().parameters().manager().isOpen());
        }
        assertEquals(before + 1, ModelCache.loads());
    }

    @Test
    void modelIsReadFromS3aAndKeepsItsContentId(@TempDir Path dir) throws Exception {
        SparkSession spark = LocalSpark.session();
        String bucket = LocalSpark.s3().createBucket("generate-models");
        String remote = bucket + "/tiny-gpt2";
        FileSystem fs = new org.apache.hadoop.fs.Path(remote).getFileSystem(spark.sparkContext().hadoopConfiguration());
        for (String f : List.of("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors")) {
            try (var out = fs.create(new org.apache.hadoop.fs.Path(remote + "/" + f))) {
                Files.copy(TestPaths.fixture("tiny-gpt2").resolve(f), out);
            }
        }
        String input = dir.resolve("articles").toString();
        GenerateFixtures.writeArticles(spark, input, GenerateFixtures.articles(4));
        String fromS3 = dir.resolve("s3").toString();
        String fromDisk = dir.resolve("disk").toString();
        // Evict the fixture model earlier tests may have cached (same content, same id), so this run loads the copy.
        try (ModelCache.Lease other = ModelCache.acquire("other", Device.cpu(), "fp32", () -> TestPaths.fixture("tiny-llama"))) {
            assertNotNull(other.completer());
        }
        int before = ModelCache.loads();
        assertEquals(4, GenerateJob.run(spark, GenerateFixtures.options(remote, input, fromS3, 2, 2)).generated());
        assertEquals(1, ModelCache.loads() - before);
        assertEquals(4, GenerateJob.run(spark, GenerateFixtures.options(GenerateFixtures.MODEL, input, fromDisk, 2, 2)).generated());
        List<Row> a = table(spark, fromS3).orderBy(Generations.ARTICLE_ID).select(Generations.MODEL_ID, Generations.COMPLETION).collectAsList();
        List<Row> b = table(spark, fromDisk).orderBy(Generations.ARTICLE_ID).select(Generations.MODEL_ID, Generations.COMPLETION).collectAsList();
        assertEquals(b, a, "two copies of one model: one model_id, the same completions");
        Path copies = Path.of(org.apache.spark.SparkFiles.getRootDirectory(), "zerospark-models");
        try (var l = Files.list(copies)) {
            assertEquals(1, l.filter(p -> Files.isRegularFile(p.resolve("model.safetensors"))).count(), "one local copy");
        }
    }

    @Test
    void aTokenizerWithMoreIdsThanTheModelIsRefusedNamingBothSizes(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("model");
        Files.createDirectories(model);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json", "model.safetensors")) {
            Files.copy(TestPaths.fixture("tiny-gpt2").resolve(f), model.resolve(f));
        }
        Files.writeString(model.resolve("config.json"), Files.readString(TestPaths.fixture("tiny-gpt2").resolve("config.json"))
                .replace("\"vocab_size\": 1024", "\"vocab_size\": 512"));
        VocabularyMismatchException e = assertThrows(VocabularyMismatchException.class, () -> GenerateJob.run(LocalSpark.session(),
                GenerateFixtures.options(model.toString(), dir.resolve("in").toString(), dir.resolve("out").toString(), 2, 2)));
        assertTrue(e.getMessage().contains("512") && e.getMessage().contains("1024"), e.getMessage());
    }

    @Test
    void bf16RowsEqualCompleteInBf16AndAnUnknownDtypeIsRefusedNamingTheOption(@TempDir Path dir) throws Exception {
        SparkSession spark = LocalSpark.session();
        String input = dir.resolve("articles").toString();
        String output = dir.resolve("riddles").toString();
        GenerateFixtures.writeArticles(spark, input, GenerateFixtures.articles(6));
        GenerateOptions o = GenerateFixtures.options(GenerateFixtures.MODEL, input, output, 2, 3);
        GenerateSummary s = GenerateJob.run(spark, withDtype(o, "bf16"));
        assertEquals(6, s.generated());
        assertEquals(0, s.errors());
        List<Row> rows = table(spark, output).collectAsList();
        try (TextCompleter completer = TextCompleter.open(Path.of(GenerateFixtures.MODEL), null, TextCompleter.BF16)) {
            for (Row r : rows) {
                TextCompleter.Completion c = completer.complete(List.of((String) r.getAs(Generations.PROMPT)),
                        completer.options(6, 0, 0, 1, 0, List.of("\n\n"))).get(0);
                assertEquals(c.text(), r.getAs(Generations.COMPLETION), "article " + r.getAs(Generations.ARTICLE_ID));
            }
        }
        assertEquals(6, GenerateJob.run(spark, o).generated(), "fp32 rows have their own params_hash: bf16 rows do not count as done");
        ConfigException e = assertThrows(ConfigException.class, () -> GenerateJob.run(spark, withDtype(o, "fp16")));
        assertTrue(e.getMessage().contains("--dtype fp16"), e.getMessage());
    }

    private static GenerateOptions withDtype(GenerateOptions o, String dtype) {
        return new GenerateOptions(o.model(), o.input(), o.output(), o.template(), null, null, null, o.idCol(), o.textCol(), o.titleCol(),
                6, 0, 0, 1, 0, null, dtype, 8192, 2, 3);
    }

    @Test
    void theInputIsReadAtThePinnedVersionAndABadWhereIsNamed(@TempDir Path dir) {
        SparkSession spark = LocalSpark.session();
        String input = dir.resolve("articles").toString();
        String output = dir.resolve("out").toString();
        GenerateFixtures.writeArticles(spark, input, GenerateFixtures.articles(3));
        spark.createDataFrame(List.of(RowFactory.create("z-1", "hz", "Later", "harbour storm", "train")), GenerateFixtures.ARTICLES)
                .write().format("delta").mode("append").save(input); // version 1
        GenerateOptions o = GenerateFixtures.options(GenerateFixtures.MODEL, input, output, 2, 2);
        GenerateOptions atZero = new GenerateOptions(o.model(), input, output, o.template(), 0L, null, null, o.idCol(), o.textCol(), o.titleCol(),
                6, 0, 0, 1, 0, null, "fp32", 8192, 2, 2);
        GenerateSummary s = GenerateJob.run(spark, atZero);
        assertEquals(0, s.inputVersion());
        assertEquals(3, s.articles());
        assertEquals(Set.of(0L), table(spark, output).select(Generations.INPUT_VERSION).distinct().collectAsList().stream()
                .map(r -> r.getLong(0)).collect(Collectors.toSet()));
        GenerateSummary current = GenerateJob.run(spark, o);
        assertEquals(1, current.inputVersion());
        assertEquals(4, current.articles());
        assertEquals(3, current.alreadyDone());
        assertEquals(1, current.generated());
        GenerateOptions badWhere = new GenerateOptions(o.model(), input, output, o.template(), null, "no_such_column > 1", null, o.idCol(), o.textCol(),
                o.titleCol(), 6, 0, 0, 1, 0, null, "fp32", 8192, 2, 2);
        ConfigException e = assertThrows(ConfigException.class, () -> GenerateJob.run(spark, badWhere));
        assertTrue(e.getMessage().contains("no_such_column > 1"), e.getMessage());
    }

    @Test
    void aMissingTextColumnIsNamed(@TempDir Path dir) {
        SparkSession spark = LocalSpark.session();
        String input = dir.resolve("articles").toString();
        GenerateFixtures.writeArticles(spark, input, GenerateFixtures.articles(2));
        GenerateOptions o = GenerateFixtures.options(GenerateFixtures.MODEL, input, dir.resolve("out").toString(), 2, 2);
        GenerateOptions body = new GenerateOptions(o.model(), input, o.output(), o.template(), null, null, null, o.idCol(), "body", o.titleCol(),
                6, 0, 0, 1, 0, null, "fp32", 8192, 2, 2);
        InputColumnException e = assertThrows(InputColumnException.class, () -> GenerateJob.run(spark, body));
        assertTrue(e.getMessage().contains("'body' (--text-col)"), e.getMessage());
    }

    @Test
    void chunkCommitsOverlapTheNextChunksGenerationAndStayInOrder(@TempDir Path dir) throws Exception {
        SparkSession spark = LocalSpark.session();
        String input = dir.resolve("articles").toString();
        String output = dir.resolve("riddles").toString();
        GenerateFixtures.writeArticles(spark, input, GenerateFixtures.articles(12));
        // Chunk 0's commit is held, before it writes, until chunk 1's generation has started: without the overlap
        // chunk 1 starts only after the commit, the latch times out and the commit reports it.
        CountDownLatch chunk1Started = new CountDownLatch(1);
        SparkListener jobs = new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart start) {
                if (GenerateJob.generating(1, 3).equals(start.properties().getProperty("spark.job.description"))) chunk1Started.countDown();
            }
        };
        spark.sparkContext().addSparkListener(jobs);
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        try {
            GenerateSummary s = GenerateJob.run(spark, GenerateFixtures.options(GenerateFixtures.MODEL, input, output, 2, 2),
                    new GenerateJob.ChunkListener() {
                        @Override
                        public void committing(int chunk, int chunks) {
                            try {
                                boolean overlapped = chunk != 0 || chunk1Started.await(60, TimeUnit.SECONDS);
                                events.add("committing " + chunk + "/" + chunks + (overlapped ? "" : " without overlap"));
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                throw new IllegalStateException(e);
                            }
                        }

                        @Override
                        public void committed(int chunk, int chunks, long version) {
                            events.add("committed " + chunk + "/" + chunks + " at " + version);
                        }
                    });
            assertEquals(12, s.generated());
        } finally {
            spark.sparkContext().removeSparkListener(jobs);
        }
        assertEquals(List.of("committing 0/3", "committed 0/3 at 0", "committing 1/3", "committed 1/3 at 1", "committing 2/3", "committed 2/3 at 2"),
                events);
        assertEquals(12, table(spark, output).count());
        assertKeysUnique(table(spark, output));
    }
}
