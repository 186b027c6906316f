package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.training.metrics.MetricsLog;
import dev.zerospark.training.metrics.StepMetrics;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code eval perplexity} prints the validation perplexity {@code train} logged for the same model and rows. */
class EvalPerplexityCommandTest {
    @TempDir Path tmp;

    /** Ten train rows and three validation rows of 17 tokens, ids inside the tiny fixtures' vocabulary. */
    private String writeTable() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 13; i++) {
            List<Integer> ids = new ArrayList<>();
            for (int t = 0; t < 17; t++) ids.add((i * 11 + t * 3) % 100);
            rows.add(RowFactory.create(String.format("b%03d", i), i < 10 ? "train" : "validation", ids));
        }
        StructType schema = new StructType().add("block_id", DataTypes.StringType).add("split", DataTypes.StringType)
                .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType));
        String table = tmp.resolve("lm_blocks").toUri().toString();
        LocalSpark.session().createDataFrame(rows, schema).write().format("delta").save(table);
        return table;
    }

    @Test
    void equalsTheValidationPerplexityTrainLogged() throws Exception {
        String table = writeTable();
        Path conf = Files.writeString(tmp.resolve("train.yaml"), "train:\n  eval_interval: 2\n");
        String ckpt = tmp.resolve("ckpt").toUri().toString();
        String runDir = tmp.resolve("run").toUri().toString();
        CliRun train = CliRun.of("train", "--config", conf.toString(), "--model", TestPaths.fixture("tiny-gpt2").toString(),
                "--data", table, "--world-size", "1", "--steps", "2", "--micro-batch-size", "2", "--lr", "0.01",
                "--checkpoint-dir", ckpt, "--run-dir", runDir);
        assertEquals(0, train.code(), train.toString());
        List<StepMetrics> steps = MetricsLog.readAll(runDir, new Configuration());
        StepMetrics last = steps.get(steps.size() - 1);
        assertEquals(2, last.step());
        assertTrue(Double.isFinite(last.valLoss()), "validation ran at step 2: " + last);
        CliRun export = CliRun.of("export", ckpt, "--output", tmp.resolve("hf").toString());
        assertEquals(0, export.code(), export.toString());

        CliRun eval = CliRun.of("eval", "perplexity", "--model", tmp.resolve("hf").toString(), "--data", table);
        assertEquals(0, eval.code(), eval.toString());
        String[] lines = eval.out().strip().split("\n");
        JsonNode r = new ObjectMapper().readTree(lines[lines.length - 1]);
        assertEquals("perplexity = exp(mean token NLL)", r.get("metric").asText());
        assertEquals(3, r.get("rows").asInt());
        assertEquals(3 * 16, r.get("tokens").asLong());
        assertEquals(Math.exp(last.valLoss()), r.get("perplexity").asDouble(), 1e-5 * Math.exp(last.valLoss()), eval.out());
        assertEquals(last.valLoss(), r.get("mean_nll").asDouble(), 1e-6);

        // the base model scores the same rows differently: the number is the trained model's, not a constant
        CliRun base = CliRun.of("eval", "perplexity", "--model", TestPaths.fixture("tiny-gpt2").toString(), "--data", table);
        assertEquals(0, base.code(), base.toString());
        String[] baseLines = base.out().strip().split("\n");
        double basePpl = new ObjectMapper().readTree(baseLines[baseLines.length - 1]).get("perplexity").asDouble();
        assertTrue(Math.abs(basePpl - r.get("perplexity").asDouble()) > 1e-3, basePpl + " vs " + r);
    }

    /**
     * The split is scored row group by row group from the table's files: what Spark tasks send the driver is the
     * index's few numbers per row group, not the rows (the old read collected them: ~300 KB of task results here, against ~20 KB now).
     */
    @Test
    void readsTheSplitFromTheFilesWithoutCollectingItsRows() throws Exception {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 4000; i++) {
            List<Integer> ids = new ArrayList<>();
            for (int t = 0; t < 64; t++) ids.add((i * 7 + t * 13) % 1000);
            rows.add(RowFactory.create(String.format("b%05d", i), i < 10 ? "train" : "validation", ids));
        }
        StructType schema = new StructType().add("block_id", DataTypes.StringType).add("split", DataTypes.StringType)
                .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType));
        String table = tmp.resolve("wide").toUri().toString();
        SparkSession spark = LocalSpark.session();
        spark.createDataFrame(rows, schema).write().format("delta").save(table);
        long rowBytes = 3990L * 64 * 4;

        AtomicLong resultBytes = new AtomicLong();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.taskMetrics() != null) resultBytes.addAndGet(end.taskMetrics().resultSize());
            }
        };
        spark.sparkContext().addSparkListener(listener);
        EvalPerplexityCommand.Result r;
        try {
            r = EvalPerplexityCommand.compute(spark, TestPaths.fixture("tiny-gpt2"), table, null, "validation", 64);
            spark.sparkContext().listenerBus().waitUntilEmpty();
        } finally {
            spark.sparkContext().removeSparkListener(listener);
        }
        assertEquals(3990, r.rows());
        assertEquals(3990 * 63, r.loss().tokens());
        System.out.println("task results: " + resultBytes + " bytes; rows: " + rowBytes + " bytes");
        assertTrue(resultBytes.get() < rowBytes / 16, "tasks sent the driver " + resultBytes + " bytes; the rows hold " + rowBytes);
    }

    @Test
    void aBadSplitIsAUsageErrorNamingTheOption() {
        String table = writeTable();
        String model = TestPaths.fixture("tiny-gpt2").toString();
        CliRun bad = CliRun.of("eval", "perplexity", "--model", model, "--data", table, "--split", "test");
        assertEquals(2, bad.code(), bad.toString());
        assertTrue(bad.err().contains("--split") && bad.err().contains("test"), bad.err());
    }
}
