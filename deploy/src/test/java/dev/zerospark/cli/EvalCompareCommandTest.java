package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.data.generate.internal.ModelFiles;
import dev.zerospark.spark.Contracts;
import dev.zerospark.table.Generations;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code eval compare} through the CLI: the local model's perplexity is eval perplexity's number. */
class EvalCompareCommandTest {
    @TempDir Path tmp;

    @Test
    void comparesTwoPipelinesAndReportsTheLocalModelsPerplexity() throws Exception {
        SparkSession spark = LocalSpark.session();
        String model = TestPaths.fixture("tiny-gpt2").toString();
        String modelId = ModelFiles.modelId(model, new Configuration());
        Timestamp now = new Timestamp(0);
        List<Row> gen = new ArrayList<>();
        List<Row> refs = new ArrayList<>();
        List<Row> blocks = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            gen.add(RowFactory.create("a" + i, null, 0L, "riddle", modelId, "p", 1L, null, 4, false, "a river runs " + i, 3, "eos", null, "r", now));
            gen.add(RowFactory.create("a" + i, null, 0L, "service", "remote", "p", 1L, null, 4, false, "the sea " + i, 3, "eos", null, "r", now));
            refs.add(RowFactory.create("h" + i, "a" + i, "a river runs to the sea " + i));
            List<Integer> ids = new ArrayList<>();
            for (int t = 0; t < 9; t++) ids.add((i * 5 + t * 7) % 100);
            blocks.add(RowFactory.create("b" + i, i < 4 ? "train" : "validation", ids));
        }
        spark.createDataFrame(gen, Contracts.schema(Generations.CONTRACT)).write().format("delta").save(tmp.resolve("gen").toString());
        spark.createDataFrame(refs, new StructType().add("content_hash", DataTypes.StringType).add("article_id", DataTypes.StringType)
                .add("response", DataTypes.StringType)).write().format("delta").save(tmp.resolve("refs").toString());
        spark.createDataFrame(blocks, new StructType().add("block_id", DataTypes.StringType).add("split", DataTypes.StringType)
                .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType))).write().format("delta").save(tmp.resolve("blocks").toString());

        CliRun r = CliRun.of("eval", "compare", "--generations", tmp.resolve("gen").toString(), "--references", tmp.resolve("refs").toString(),
                "--report", tmp.resolve("report").toString(), "--data", tmp.resolve("blocks").toString(), "--model", model);
        assertEquals(0, r.code(), r.toString());
        String[] lines = r.out().strip().split("\n");
        JsonNode summary = new ObjectMapper().readTree(lines[lines.length - 1]);
        assertEquals(2, summary.get("pipelines").size());
        JsonNode riddle = summary.get("pipelines").get(0);
        assertEquals("riddle", riddle.get("pipeline").asText());
        assertTrue(!summary.get("pipelines").get(1).has("perplexity"), "no perplexity for the remote model");
        CliRun ppl = CliRun.of("eval", "perplexity", "--model", model, "--data", tmp.resolve("blocks").toString());
        String[] pplLines = ppl.out().strip().split("\n");
        assertEquals(new ObjectMapper().readTree(pplLines[pplLines.length - 1]).get("perplexity").asDouble(), riddle.get("perplexity").asDouble(), 1e-12);
        assertTrue(Files.readString(tmp.resolve("report/report.html")).contains("service"));
        assertTrue(Files.isDirectory(tmp.resolve("report/eval_results/_delta_log")));
    }

    @Test
    void dataWithoutAModelIsAUsageError() {
        CliRun r = CliRun.of("eval", "compare", "--generations", tmp.toString(), "--references", tmp.toString(),
                "--report", tmp.toString(), "--data", tmp.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--data needs at least one --model"), r.err());
    }
}
