package dev.zerospark.pipeline.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.ZeroSparkConfig;
import dev.zerospark.pipeline.PipelineRuns;
import dev.zerospark.pipeline.StageContext;
import dev.zerospark.pipeline.StageRecord;
import dev.zerospark.pipeline.StageResult;
import dev.zerospark.pipeline.StageStatus;
import dev.zerospark.registry.ModelRegistry;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The train stage of a rerun continues from the run's own newest checkpoint, on the same training mix. */
class TrainStageTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path tmp;

    /** The context a runner gives the stage, for one run id. */
    private record Ctx(SparkSession spark, ZeroSparkConfig config, String runId, ModelRegistry registry, PipelineRuns runs)
            implements StageContext {
        @Override
        public String runDir() {
            return registry.uri() + "/runs/" + runId;
        }

        @Override
        public Optional<StageRecord> done(String stage) {
            return Optional.empty();
        }

        @Override
        public ObjectNode metricsOf(String stage) {
            return JsonNodeFactory.instance.objectNode();
        }
    }

    private ZeroSparkConfig config(int steps) {
        Map<String, Object> k = new HashMap<>();
        k.put("prepare.output", tmp.resolve("tables").toUri().toString());
        k.put("pipeline.name", "riddler");
        k.put("pipeline.registry", tmp.resolve("registry").toUri().toString());
        k.put("pipeline.base_model", TestPaths.fixture("tiny-gpt2").toString());
        k.put("pipeline.steps", steps);
        k.put("train.world_size", 1);
        k.put("train.micro_batch_size", 2);
        k.put("train.checkpoint_interval", 1);
        k.put("train.eval_interval", 0);
        return ConfigLoader.load(null, k);
    }

    @Test
    void aRerunResumesFromTheRunsCheckpointOnTheSameMix() throws Exception {
        SparkSession spark = LocalSpark.session();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            List<Integer> ids = new ArrayList<>();
            for (int t = 0; t < 17; t++) ids.add((i * 7 + t) % 100);
            rows.add(RowFactory.create(String.format("b%03d", i), i < 10 ? "train" : "validation", ids));
        }
        StructType schema = new StructType().add("block_id", DataTypes.StringType).add("split", DataTypes.StringType)
                .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType));
        spark.createDataFrame(rows, schema).write().format("delta").save(tmp.resolve("tables/lm_blocks").toUri().toString());

        ZeroSparkConfig first = config(2);
        ModelRegistry registry = ModelRegistry.open(spark, first.pipeline().registry(), "riddler");
        PipelineRuns runs = new RunsTable(spark, registry.uri() + "/pipeline_runs");
        StageResult a = new TrainStage().run(new Ctx(spark, first, "r1", registry, runs));
        assertEquals(StageStatus.SUCCEEDED, a.status());
        assertEquals(0, a.metrics().get("resumed_from_step").asLong());
        assertEquals(2, a.metrics().get("exported_step").asLong());
        assertEquals(10, a.metrics().get("new_train_rows").asLong());
        var store = new dev.zerospark.checkpoint.CheckpointStore(a.metrics().get("checkpoint_dir").asText(), spark.sparkContext().hadoopConfiguration());
        String trainRun = store.manifest(2).runId();

        // The same run again (as after a failure later in the stage), now asked for 4 steps: it must not start over.
        StageResult b = new TrainStage().run(new Ctx(spark, config(4), "r1", registry, runs));
        assertEquals(2, b.metrics().get("resumed_from_step").asLong(), b.metrics().toString());
        assertEquals(4, b.metrics().get("exported_step").asLong());
        assertEquals(a.outputVersions(), b.outputVersions(), "the mix is written once");
        assertEquals(trainRun, store.manifest(4).runId(), "step 4 continues the training run that wrote step 2");
        List<Integer> steps = new ArrayList<>();
        for (String line : Files.readAllLines(tmp.resolve("registry/riddler/runs/r1/train/metrics.jsonl"))) {
            JsonNode n = JSON.readTree(line);
            if (n.has("step")) steps.add(n.get("step").asInt());
        }
        assertEquals(List.of(1, 2, 3, 4), steps);
        assertTrue(Files.isRegularFile(tmp.resolve("registry/riddler/runs/r1/candidate/model.safetensors")));
    }
}
