package dev.zerospark.training;

import dev.zerospark.checkpoint.CheckpointExport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.checkpoint.CheckpointStore;
import dev.zerospark.checkpoint.Manifest;
import dev.zerospark.config.ConfigException;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.spark.Contracts;
import dev.zerospark.table.LmBlocks;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.train.LossSum;
import dev.zerospark.train.TrainableModel;
import dev.zerospark.train.TrainableModels;
import dev.zerospark.training.data.RankBatches;
import dev.zerospark.training.data.StreamSchedule;
import dev.zerospark.training.data.TableFiles;
import dev.zerospark.training.data.TableIndex;
import dev.zerospark.training.metrics.StepMetrics;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Distributed training on local[2] with ZeRO-2 and checkpoints on S3 (S3Proxy through s3a://): an uninterrupted
 * run, a run whose rank dies mid-training and is restarted from its last checkpoint, and a resume on a different
 * world size (optimizer state resharded). Losses must match step for step.
 */
class TrainJobTest {
    private static final int STEPS = 6;
    private static String table;
    private static String bucket;

    @BeforeAll
    static void writeTable() throws Exception {
        SparkSession spark = LocalSpark.session();
        bucket = LocalSpark.s3().createBucket("train-test");
        Random rnd = new Random(7);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            List<Integer> ids = new ArrayList<>();
            int start = 4 * rnd.nextInt(8);
            for (int t = 0; t < 17; t++) ids.add(start + (t % 4)); // a learnable pattern: the loss must fall
            rows.add(RowFactory.create(String.format("b%03d", i), i < 32 ? "train" : "validation", ids, "run"));
        }
        StructType schema = Contracts.schema(LmBlocks.CONTRACT); // block_id, split, input_ids, run_id
        table = Files.createTempDirectory("zs-train-table").resolve("lm_blocks").toUri().toString();
        spark.createDataFrame(rows, schema).write().format("delta").save(table);
    }

    private static TrainConfig config(String name, int world, int micro, int accum, boolean resume) {
        return config(name, world, micro, accum, resume, Map.of());
    }

    private static TrainConfig config(String name, int world, int micro, int accum, boolean resume, Map<String, Object> extra) {
        Map<String, Object> o = new HashMap<>();
        o.put("train.model", TestPaths.fixture("tiny-gpt2").toString());
        o.put("train.data", table);
        o.put("train.world_size", world);
        o.put("train.zero.stage", 2);
        o.put("train.steps", STEPS);
        o.put("train.micro_batch_size", micro);
        o.put("train.grad_accum", accum);
        o.put("train.optimizer.lr", 1e-2);
        o.put("train.optimizer.warmup_steps", 2);
        o.put("train.checkpoint_dir", bucket + "/" + name + "/ckpt");
        o.put("train.checkpoint_interval", 2);
        o.put("train.keep_last", 0);
        o.put("train.eval_interval", 3);
        o.put("train.run_dir", bucket + "/" + name + "/run");
        o.put("train.resume", resume);
        o.put("train.max_restarts", 2);
        o.putAll(extra);
        return ConfigLoader.load(null, o).train();
    }

    private static Map<Long, Double> losses(List<StepMetrics> m) {
        Map<Long, Double> out = new HashMap<>();
        for (StepMetrics s : m) out.put(s.step(), s.loss());
        return out;
    }

    @Test
    void trainsCheckpointsToS3RecoversFromAFailedRankAndReshardsOnResume() throws Exception {
        SparkSession spark = LocalSpark.session();
        var hadoop = spark.sparkContext().hadoopConfiguration();

        // 1. Uninterrupted: 2 ranks, ZeRO-2, checkpoints every 2 steps on s3a://.
        TrainConfig full = config("full", 2, 2, 1, false);
        TrainJob.Result a = TrainJob.run(spark, full);
        assertEquals(0, a.restarts());
        assertEquals(STEPS, a.metrics().size());
        Map<Long, Double> reference = losses(a.metrics());
        assertTrue(a.metrics().get(STEPS - 1).loss() < a.metrics().get(0).loss(), "loss should fall: " + reference);
        assertTrue(Double.isFinite(a.metrics().get(2).valLoss()), "validation ran at step 3");

        CheckpointStore store = new CheckpointStore(full.checkpointDir(), hadoop);
        assertEquals(List.of(2L, 4L, 6L), store.completeSteps());
        Manifest m = store.manifest(6);
        assertEquals(2, m.worldSize());
        assertEquals(2, m.zeroStage());
        assertEquals(table, m.data().table());
        assertEquals(0, m.data().version());
        // The optimizer shards and the model config, and no fp32 copy of the model: export rebuilds the weights
        // from the master shards (step 4 below).
        assertEquals(java.util.Set.of("optim-rank0.safetensors", "optim-rank1.safetensors", "model-config.json"),
                m.files().keySet());
        Path metricsFile = new Path(full.runDir() + "/metrics.jsonl");
        List<String> lines;
        try (InputStream in = metricsFile.getFileSystem(hadoop).open(metricsFile)) {
            lines = new String(in.readAllBytes()).lines().toList();
        }
        assertEquals(STEPS, lines.size());
        String runId = m.runId();
        assertTrue(runId != null && !runId.isBlank(), "every manifest records its run");
        for (long step : store.completeSteps()) assertEquals(runId, store.manifest(step).runId());
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        for (String k : new String[] {"step", "loss", "lr", "grad_norm", "tokens_per_s"}) assertTrue(first.has(k), k);
        assertEquals(STEPS, spark.read().format("delta").load(a.metricsTable()).count());
        Path report = new Path(a.reportUri());
        assertTrue(report.getFileSystem(hadoop).exists(report));

        // 2. Rank 1 dies before step 4 (fault index 3): the stage fails, the driver restarts from step-2 and finishes identically.
        TrainJob.Result b = TrainJob.run(spark, config("faulty", 2, 2, 1, false), 3, 1);
        assertEquals(1, b.restarts());
        assertEquals(3, b.metrics().get(0).step(), "the restart resumes after the step-2 checkpoint, with step 3");
        for (StepMetrics s : b.metrics()) { // bit-exact: same world size, same order of every sum
            assertEquals(reference.get(s.step()).doubleValue(), s.loss(), "step " + s.step());
        }

        // The restarted attempt kept the metrics of steps 1..2 logged before the failure, and the report and the
        // Delta metrics table show the whole run, not only the last attempt.
        Path faultyMetrics = new Path(config("faulty", 2, 2, 1, false).runDir() + "/metrics.jsonl");
        try (InputStream in = faultyMetrics.getFileSystem(hadoop).open(faultyMetrics)) {
            List<Long> logged = new String(in.readAllBytes()).lines()
                    .map(l -> readStep(l)).toList();
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), logged);
        }
        assertEquals(STEPS, spark.read().format("delta").load(b.metricsTable()).count());
        Path faultyReport = new Path(b.reportUri());
        try (InputStream in = faultyReport.getFileSystem(hadoop).open(faultyReport)) {
            String html = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(html.contains("steps 1 to 6 (6 logged)"), "the report covers the steps before the restart");
        }

        // 3. Resume on 1 rank (same global batch: micro 2 x accumulation 2) from step 4 of the 2-rank run.
        Path step6 = new Path(full.checkpointDir() + "/step-6");
        step6.getFileSystem(hadoop).delete(step6, true);
        TrainConfig oneRank = config("full", 1, 2, 2, true);
        TrainJob.Result c = TrainJob.run(spark, oneRank);
        assertEquals(List.of(5L, 6L), c.metrics().stream().map(StepMetrics::step).toList());
        for (StepMetrics s : c.metrics()) {
            assertEquals(reference.get(s.step()), s.loss(), 1e-4 * reference.get(s.step()), "resharded step " + s.step());
        }
        assertEquals(1, store.manifest(6).worldSize(), "the 1-rank run wrote the new step-6");
        assertEquals(runId, store.manifest(6).runId(), "a resumed run continues the run it resumed");

        // 4. Export step-4 to an HF directory; reloaded, it gives the loss the run logged at step 5 on the same rows.
        java.nio.file.Path hf = Files.createTempDirectory("zs-export");
        CheckpointExport.export(CheckpointExport.resolve(full.checkpointDir() + "/step-4", hadoop), hf, null);
        // Step 5's rows, read as the ranks read them: streamed from the table's files in the run's order.
        List<int[]> rows = new ArrayList<>();
        TableIndex index = TableIndex.count(TableFiles.resolve(spark, table, 0L), hadoop);
        for (int r = 0; r < 2; r++) {
            try (RankBatches batches = index.open(new RankBatches.Plan(r, 2, 1, 2, full.seed(), 0, new StreamSchedule.Position(0, 0)), hadoop)) {
                rows.addAll(List.of(batches.step(4)[0].ids()));
            }
        }
        try (TrainableModel exported = TrainableModels.load(hf)) {
            int[][] batch = rows.toArray(new int[0][]);
            LossSum l = exported.forwardBackward(batch, null, 0f, new float[Math.toIntExact(exported.numel())]);
            // Step 5's loss is measured on the step-4 weights, before step 5's update.
            assertEquals(reference.get(5L), l.sum() / l.tokens(), 1e-5 * reference.get(5L));
        }

        // 5. A fresh run refuses the directory that holds step-6 (exit code 2: a config error naming both) ...
        ConfigException refused = assertThrows(ConfigException.class, () -> TrainJob.run(spark, config("full", 2, 2, 1, false)));
        assertTrue(refused.getMessage().contains(full.checkpointDir()) && refused.getMessage().contains("step-6"),
                refused.getMessage());
        // ... and --overwrite clears it first: every step is then the new run's.
        TrainJob.Result d = TrainJob.run(spark, config("full", 2, 2, 1, false, Map.of("train.overwrite", true)));
        assertEquals(0, d.restarts());
        assertEquals(List.of(2L, 4L, 6L), store.completeSteps());
        String newRun = store.manifest(2).runId();
        assertTrue(!newRun.equals(runId), "a new run id");
        for (long step : store.completeSteps()) assertEquals(newRun, store.manifest(step).runId());
    }

    /**
     * Metrics are flushed every logEvery (here 2) steps, checkpoints come every 3: rank 1 dies before step 4, after
     * the step-3 checkpoint but before step 3's line would have been flushed with step 4's. The resume keeps the
     * lines up to step 3, so step 3's line must already be in the file.
     */
    @Test
    void aCheckpointBetweenLogFlushesLosesNoMetricsLine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        TrainConfig c = config("gap", 2, 2, 1, false, Map.of("train.steps", 40, "train.checkpoint_interval", 3,
                "train.eval_interval", 0, "train.checkpoint_dir", dir.resolve("ckpt").toUri().toString(),
                "train.run_dir", dir.resolve("run").toUri().toString()));
        TrainJob.Result r = TrainJob.run(LocalSpark.session(), c, 3, 1);
        assertEquals(1, r.restarts());
        List<Long> logged;
        try (java.util.stream.Stream<String> lines = Files.lines(dir.resolve("run/metrics.jsonl"))) {
            logged = lines.map(TrainJobTest::readStep).toList();
        }
        List<Long> expected = java.util.stream.LongStream.rangeClosed(1, 40).boxed().toList();
        assertEquals(expected, logged);
    }

    private static long readStep(String jsonLine) {
        try {
            return new ObjectMapper().readTree(jsonLine).get("step").asLong();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aBugInARankStopsAtOnceWithoutRestarts() {
        // Without classification the driver would restart from step 0 and this run would succeed.
        TrainingFailedException bug = assertThrows(TrainingFailedException.class,
                () -> TrainJob.run(LocalSpark.session(), config("bug", 2, 2, 1, false), 1, 1, RunSpec.Fault.BUG));
        assertTrue(bug.getMessage().contains("not restarted") && bug.getMessage().contains("rank 1"), bug.getMessage());
    }

    @Test
    void aConfigErrorInARankStopsAtOnceAsAConfigError() {
        // A ConfigException (exit code 2), not restarts that end in TrainingFailedException (exit code 1).
        ConfigException config = assertThrows(ConfigException.class,
                () -> TrainJob.run(LocalSpark.session(), config("config", 2, 2, 1, false), 1, 0, RunSpec.Fault.CONFIG));
        assertTrue(config.getMessage().contains("config error"), config.getMessage());
    }

    @Test
    void aBadModelDirectoryFailsOnTheDriverNamingTrainModel() throws Exception {
        java.nio.file.Path empty = Files.createTempDirectory("zs-no-model");
        ConfigException model = assertThrows(ConfigException.class, () -> TrainJob.run(LocalSpark.session(),
                config("nomodel", 2, 2, 1, false, Map.of("train.model", empty.toString()))));
        assertEquals("train.model", model.keyPath());
        assertTrue(model.getMessage().contains(empty.toString()), model.getMessage());
    }
}
