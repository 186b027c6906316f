package dev.zerospark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.table.Generations;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
        assertEquals(Set.of("run_id", "input_version", "articles", "generated", "already_done", "errors", "truncated", "prompt_tokens",
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
    void usageErrorsNameTheKeyOrOption() {
        CliRun noInput = CliRun.of("generate", "--model", TestPaths.fixture("tiny-gpt2").toString(), "--output", tmp.resolve("o").toString());
        assertEquals(2, noInput.code(), noInput.toString());
        assertTrue(noInput.err().contains("generate.input is required (--input or the config file)"), noInput.err());
        CliRun bf16 = CliRun.of("generate", "--model", TestPaths.fixture("tiny-gpt2").toString(), "--input", tmp.resolve("i").toString(),
                "--output", tmp.resolve("o").toString(), "--dtype", "bf16", "--master", "local[2]");
        assertEquals(2, bf16.code(), bf16.toString());
        assertTrue(bf16.err().contains("--dtype bf16"), bf16.err());
        CliRun notAModel = CliRun.of("generate", "--model", tmp.toString(), "--input", tmp.resolve("i").toString(),
                "--output", tmp.resolve("o").toString(), "--master", "local[2]");
        assertEquals(2, notAModel.code(), notAModel.toString());
        assertTrue(notAModel.err().contains("neither an HF model directory"), notAModel.err());
    }

    private static List<String> iterable(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
