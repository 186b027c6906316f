package dev.zerospark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.table.Articles;
import dev.zerospark.table.Generations;
import dev.zerospark.checkpoint.CheckpointExport;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code zerospark generate}'s contract: config file and flags, the JSON last line, usage errors naming the option. */
class GenerateCommandTest {
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

    @Test
    void configAndFlagsRunTheJobAndTheLastLineIsTheSummary() throws Exception {
        String input = articles(6);
        String output = tmp.resolve("riddles").toString();
        Path conf = tmp.resolve("gen.yaml");
        Files.writeString(conf, "generate:\n  max_new_tokens: 5\n  partitions: 2\n  limit: 100\n");
        CliRun r = CliRun.of("generate", "--config", conf.toString(), "--model", TestPaths.fixture("tiny-gpt2").toString(),
                "--input", input, "--output", output, "--where", "article_id != 'id-5'", "--limit", "4", "--master", "local[2]");
        assertEquals(0, r.code(), r.toString());
        List<String> lines = r.out().strip().lines().toList();
        JsonNode s = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        assertEquals(Set.of("run_id", "input_version", "articles", "generated", "already_done", "errors", "truncated", "examples_dropped", "prompt_tokens",
                "completion_tokens", "tokens_per_s", "output_version"), Set.copyOf(iterable(s)));
        assertEquals(4, s.get("articles").asLong(), "--limit overrides the file's limit");
        assertEquals(4, s.get("generated").asLong());
        List<Row> rows = LocalSpark.session().read().format("delta").load(output).collectAsList();
        assertEquals(4, rows.size());
        for (Row row : rows) {
            assertTrue((Integer) row.getAs(Generations.COMPLETION_TOKENS) <= 5, "max_new_tokens from the file: " + row);
        }
        CliRun again = CliRun.of("generate", "--config", conf.toString(), "--model", TestPaths.fixture("tiny-gpt2").toString(),
                "--input", input, "--output", output, "--where", "article_id != 'id-5'", "--limit", "4", "--master", "local[2]");
        JsonNode s2 = new ObjectMapper().readTree(again.out().strip().lines().reduce((a, b) -> b).orElseThrow());
        assertEquals(0, s2.get("generated").asLong());
        assertEquals(4, s2.get("already_done").asLong());
    }

    @Test
    void prepareArticlesTableGeneratesWithoutIdColumnFlags() throws Exception {
        // prepare's own articles table, as a user gets it; generate is given no --id-col, --text-col or --title-col.
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            lines.add("{\"id\":\"n" + i + "\",\"title\":\"Story " + i + "\",\"body\":\"Article number " + i
                    + " tells how the harbour council met on day " + i + " to vote on the new ferry timetable, which passed after a long debate.\"}");
        }
        Path jsonl = tmp.resolve("articles.jsonl");
        Files.write(jsonl, lines);
        Path tables = tmp.resolve("tables");
        CliRun prepared = CliRun.of("prepare", "--input", jsonl.toString(), "--tokenizer", TestPaths.fixture("tokenizer-bytelevel-bpe-1024").toString(),
                "--output", tables.toString(), "--seq-len", "32");
        assertEquals(0, prepared.code(), prepared.toString());
        String input = tables.resolve("articles").toString();
        List<String> ids = LocalSpark.session().read().format("delta").load(input).select(Articles.ARTICLE_ID).as(Encoders.STRING()).collectAsList();
        assertEquals(5, ids.size(), "prepare kept every article");
        String output = tmp.resolve("riddles").toString();
        CliRun r = CliRun.of("generate", "--model", TestPaths.fixture("tiny-gpt2").toString(), "--input", input, "--output", output,
                "--max-new-tokens", "3", "--master", "local[2]");
        assertEquals(0, r.code(), r.toString());
        JsonNode s = new ObjectMapper().readTree(r.out().strip().lines().reduce((a, b) -> b).orElseThrow());
        assertEquals(5, s.get("generated").asLong(), r.out());
        assertEquals(0, s.get("errors").asLong(), r.out());
        List<String> generated = LocalSpark.session().read().format("delta").load(output).select(Generations.ARTICLE_ID).as(Encoders.STRING()).collectAsList();
        assertEquals(Set.copyOf(ids), Set.copyOf(generated), "one row per article, keyed by prepare's article_id");
    }

    @Test
    void usageErrorsNameTheKeyOrOption() {
        CliRun noInput = CliRun.of("generate", "--model", TestPaths.fixture("tiny-gpt2").toString(), "--output", tmp.resolve("o").toString());
        assertEquals(2, noInput.code(), noInput.toString());
        assertTrue(noInput.err().contains("generate.input is required (--input or the config file)"), noInput.err());
        CliRun fp16 = CliRun.of("generate", "--model", TestPaths.fixture("tiny-gpt2").toString(), "--input", tmp.resolve("i").toString(),
                "--output", tmp.resolve("o").toString(), "--dtype", "fp16", "--master", "local[2]");
        assertEquals(2, fp16.code(), fp16.toString());
        assertTrue(fp16.err().contains("dtype must be one of fp32|bf16, got 'fp16'"), fp16.err());
        CliRun notAModel = CliRun.of("generate", "--model", tmp.toString(), "--input", tmp.resolve("i").toString(),
                "--output", tmp.resolve("o").toString(), "--master", "local[2]");
        assertEquals(2, notAModel.code(), notAModel.toString());
        assertTrue(notAModel.err().contains("neither an HF model directory"), notAModel.err());
    }

    @Test
    void aCheckpointRootIsExportedNextToTheCheckpointOnceAndGeneratesLikeItsExport() throws Exception {
        LocalSpark.session();
        Path sample = dev.zerospark.data.sample.SampleCorpus.write(tmp.resolve("sample"), 40, 3);
        String fixture = TestPaths.fixture("tiny-gpt2").toString();
        CliRun prep = CliRun.of("prepare", "--input", sample.toString(), "--tokenizer", fixture, "--output", tmp.resolve("tables").toString(), "--seq-len", "32");
        assertEquals(0, prep.code(), prep.toString());
        String ckpt = tmp.resolve("ckpt").toUri().toString();
        CliRun train = CliRun.of("train", "--model", fixture, "--data", tmp.resolve("tables/lm_blocks").toString(), "--world-size", "1",
                "--steps", "1", "--micro-batch-size", "2", "--checkpoint-dir", ckpt, "--checkpoint-interval", "1",
                "--run-dir", tmp.resolve("run").toUri().toString());
        assertEquals(0, train.code(), train.toString());
        String input = tmp.resolve("tables/articles").toString();
        Set<String> localTemps = localExportTemps();
        CliRun fromCkpt = CliRun.of("generate", "--model", ckpt, "--input", input, "--output", tmp.resolve("from-ckpt").toString(),
                "--limit", "3", "--max-new-tokens", "4", "--master", "local[2]");
        assertEquals(0, fromCkpt.code(), fromCkpt.toString());
        // The export lives next to the checkpoint, on its filesystem (what executors elsewhere can read), marked complete.
        List<Path> exports;
        try (var dirs = Files.list(tmp.resolve("ckpt").resolve(CheckpointExport.EXPORT_DIR))) {
            exports = dirs.toList();
        }
        assertEquals(1, exports.size(), exports.toString());
        Path exported = exports.get(0);
        assertTrue(exported.getFileName().toString().matches("step-1-[0-9a-f]{12}"), exported.toString());
        assertTrue(Files.isRegularFile(exported.resolve("config.json")) && Files.isRegularFile(exported.resolve("model.safetensors")));
        java.nio.file.attribute.FileTime marked = Files.getLastModifiedTime(exported.resolve(CheckpointExport.COMPLETE_MARKER));
        assertEquals(localTemps, localExportTemps(), "the local temporary export is deleted");
        String again = GenerateCommand.hfModel(ckpt, LocalSpark.session().sparkContext().hadoopConfiguration());
        assertEquals(exported, Path.of(new java.net.URI(again)), "a second run reuses the export");
        assertEquals(marked, Files.getLastModifiedTime(exported.resolve(CheckpointExport.COMPLETE_MARKER)));
        CliRun export = CliRun.of("export", ckpt, "--output", tmp.resolve("hf").toString());
        assertEquals(0, export.code(), export.toString());
        CliRun fromExport = CliRun.of("generate", "--model", tmp.resolve("hf").toString(), "--input", input, "--output", tmp.resolve("from-hf").toString(),
                "--limit", "3", "--max-new-tokens", "4", "--master", "local[2]");
        assertEquals(0, fromExport.code(), fromExport.toString());
        SparkSession spark = LocalSpark.session();
        List<Row> a = spark.read().format("delta").load(tmp.resolve("from-ckpt").toString()).orderBy(Generations.ARTICLE_ID)
                .select(Generations.ARTICLE_ID, Generations.MODEL_ID, Generations.COMPLETION).collectAsList();
        List<Row> b = spark.read().format("delta").load(tmp.resolve("from-hf").toString()).orderBy(Generations.ARTICLE_ID)
                .select(Generations.ARTICLE_ID, Generations.MODEL_ID, Generations.COMPLETION).collectAsList();
        assertEquals(3, a.size());
        assertEquals(b, a, "the checkpoint and its export are one model (one model_id) and generate alike");
    }

    private static Set<String> localExportTemps() throws java.io.IOException {
        try (var files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("zs-export-")).collect(java.util.stream.Collectors.toSet());
        }
    }

    private static List<String> iterable(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
