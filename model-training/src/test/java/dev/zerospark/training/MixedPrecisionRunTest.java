package dev.zerospark.training;

import dev.zerospark.checkpoint.RankCheckpoint;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.checkpoint.CheckpointStore;
import dev.zerospark.checkpoint.Manifest;
import dev.zerospark.checkpoint.OptimizerShards;
import dev.zerospark.collective.CollectiveConfig;
import dev.zerospark.collective.LocalRanks;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.model.Precision;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.train.DjlTrainableModel;
import dev.zerospark.train.TrainableModel;
import dev.zerospark.training.metrics.StepMetrics;
import dev.zerospark.zero.PartitionLayout;
import dev.zerospark.zero.TrainStep;
import dev.zerospark.zero.TrainingVerifier;
import dev.zerospark.zero.ZeroOptimizer;
import dev.zerospark.zero.ZeroStage;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train.precision reaches the ranks' models, the loss scaler and the checkpoints (two ranks as threads). */
class MixedPrecisionRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aBf16RunTrainsInBf16AndCheckpointsFp32MasterWeights(@TempDir Path dir) throws Exception {
        TrainConfig bf16 = config(dir.resolve("bf16"), 3, Map.of("train.precision", "bf16"));
        try (TrainableModel m = ModelSource.of(bf16, 1024).open(new Configuration())) {
            assertEquals(Precision.BF16, ((DjlTrainableModel) m).precision(), "the rank's model trains in bf16");
        }
        List<StepMetrics> b = train(bf16);
        List<StepMetrics> f = train(config(dir.resolve("fp32"), 3, Map.of()));
        assertEquals(3, b.size());
        for (int s = 0; s < 3; s++) {
            // the same run within bf16's rounding, but not the fp32 numbers: the computation changed
            assertEquals(f.get(s).loss(), b.get(s).loss(), 2e-2, "loss of step " + s);
            assertNotEquals(f.get(s).loss(), b.get(s).loss(), "loss of step " + s + " is fp32's exactly");
            assertTrue(Double.isNaN(b.get(s).lossScale()) && !b.get(s).skipped(), "bf16 scales no loss");
        }
        assertTrue(b.get(2).loss() < b.get(0).loss(), "bf16 training lowers the loss: " + b);

        CheckpointStore store = new CheckpointStore(bf16.checkpointDir(), new Configuration());
        Manifest manifest = store.manifest(3);
        assertEquals("bf16", manifest.config().path("precision").asText(), "the manifest records the precision");
        for (int rank = 0; rank < 2; rank++) {
            JsonNode header = safetensorsHeader(store, RankCheckpoint.optimFile(rank));
            assertEquals("F32", header.path(OptimizerShards.MASTER).path("dtype").asText(),
                    "rank " + rank + " keeps fp32 master weights: " + header);
        }
    }

    @Test
    void anFp16OverflowSkipsTheStepLowersTheScaleAndTrainingGoesOn(@TempDir Path dir) throws Exception {
        // 2^20 / 60 tokens puts the loss gradient past fp16's largest value (65504): the first steps overflow
        int steps = 12;
        TrainConfig fp16 = config(dir.resolve("fp16"), steps, Map.of("train.precision", "fp16",
                "train.fp16.initial_scale_power", 20, "train.fp16.hysteresis", 2, "train.fp16.loss_scale_window", 2));
        List<StepMetrics> m = train(fp16);
        assertEquals(steps, m.size());
        double s20 = Math.scalb(1.0, 20);
        assertTrue(m.get(0).skipped() && m.get(1).skipped(), "scale 2^20 overflows: " + m);
        assertEquals(s20, m.get(0).lossScale());
        assertEquals(s20, m.get(1).lossScale(), "hysteresis 2: the first overflow leaves the scale as it is");
        assertEquals(s20 / 2, m.get(2).lossScale(), "the second overflow halves it");
        assertTrue(Double.isNaN(m.get(0).gradNorm()), "a skipped step has no gradient norm");
        int firstApplied = -1;
        long skips = 0;
        boolean doubled = false;
        for (int s = 0; s < m.size(); s++) {
            if (m.get(s).skipped()) skips++;
            else if (firstApplied < 0) firstApplied = s;
            assertEquals(skips, m.get(s).skippedSteps(), "skips counted up to step " + s);
            if (s > 0 && m.get(s).lossScale() < m.get(s - 1).lossScale()) {
                assertTrue(m.get(s - 1).skipped(), "the scale drops only after an overflow, step " + s);
            }
            if (s > 0 && m.get(s).lossScale() > m.get(s - 1).lossScale()) {
                // window 2: it doubles after two steps without overflow since the last one
                assertTrue(!m.get(s - 1).skipped() && !m.get(s - 2).skipped(), "doubled too early at step " + s);
                assertEquals(2 * m.get(s - 1).lossScale(), m.get(s).lossScale());
                doubled = true;
            }
        }
        assertTrue(firstApplied > 0 && firstApplied < 6, "a scale low enough is reached and steps apply: " + m);
        assertTrue(doubled, "the scale grows again after loss_scale_window clean steps: " + m);
        StepMetrics applied = m.get(firstApplied);
        assertTrue(Double.isFinite(applied.gradNorm()) && applied.gradNorm() > 0, applied.toString());
        // the schedule counts applied steps (DeepSpeed steps no lr scheduler on overflow): constant lr here, so
        // the warmup-free schedule gives the peak; the loss went down once steps applied
        assertEquals(1e-2, applied.lr(), 1e-12);
        assertTrue(m.get(steps - 1).loss() < m.get(firstApplied).loss() - 0.05, "training continued: " + m);

        List<String> lines = Files.readAllLines(dir.resolve("fp16/run/metrics.jsonl"), StandardCharsets.UTF_8);
        assertEquals(steps, lines.size());
        JsonNode first = JSON.readTree(lines.get(0));
        assertTrue(first.path("skipped").asBoolean(), lines.get(0));
        assertEquals(s20, first.path("loss_scale").asDouble(), lines.get(0));
        assertEquals(skips, JSON.readTree(lines.get(steps - 1)).path("skipped_steps").asLong(), lines.get(steps - 1));
        assertFalse(JSON.readTree(lines.get(firstApplied)).path("skipped").asBoolean(), lines.get(firstApplied));
    }

    /**
     * The exact-resume promise holds for fp16: rank 1 dies after the step-6 checkpoint, by which time overflows have
     * skipped steps and moved the loss scale; the run resumed from that checkpoint logs exactly the losses, loss
     * scales, skips, learning rates and gradient norms of the uninterrupted run. That needs the checkpoint to keep the
     * scaler's state, and the applied optimizer steps apart from the loop's step (bias correction and the cosine
     * schedule count applied steps).
     */
    @Test
    void anFp16RunResumedAfterSkippedStepsLogsExactlyWhatTheUninterruptedRunLogs(@TempDir Path dir) throws Exception {
        int steps = 12;
        Map<String, Object> fp16 = Map.of("train.precision", "fp16", "train.fp16.initial_scale_power", 20,
                "train.fp16.hysteresis", 2, "train.fp16.loss_scale_window", 2, "train.optimizer.schedule", "cosine",
                "train.optimizer.warmup_steps", 2);
        TrainConfig whole = config(dir.resolve("whole"), steps, fp16);
        train(whole);
        TrainConfig broken = config(dir.resolve("resumed"), steps, fp16);
        RunSpec spec = spec(broken).withFault(7, 1, RunSpec.Fault.LOST_TASK); // dies before step 8
        Exception died = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> train(broken, spec));
        assertTrue(String.valueOf(died.getMessage()).contains("fault injection")
                || String.valueOf(died.getCause()).contains("fault injection"), died.toString());
        Manifest at6 = new CheckpointStore(broken.checkpointDir(), new Configuration()).manifest(6);
        assertTrue(at6.appliedSteps() > 0 && at6.appliedSteps() < 6, "overflows skipped some steps before the "
                + "checkpoint, others applied: " + at6.optimizerSteps());
        assertTrue(at6.lossScaler().scale() < Math.scalb(1.0, 20), "and lowered the scale: " + at6.lossScaler());
        train(broken, spec.resumingAt(6, 1));

        List<String> expected = Files.readAllLines(dir.resolve("whole/run/metrics.jsonl"), StandardCharsets.UTF_8);
        List<String> resumed = Files.readAllLines(dir.resolve("resumed/run/metrics.jsonl"), StandardCharsets.UTF_8);
        assertEquals(steps, expected.size());
        assertEquals(steps, resumed.size(), String.join("\n", resumed));
        for (int s = 0; s < steps; s++) {
            JsonNode e = JSON.readTree(expected.get(s));
            JsonNode r = JSON.readTree(resumed.get(s));
            for (String key : List.of("step", "loss", "loss_scale", "skipped", "skipped_steps", "lr", "grad_norm")) {
                assertEquals(e.path(key), r.path(key), key + " of step " + (s + 1) + ":\n" + expected.get(s) + "\n"
                        + resumed.get(s));
            }
        }
    }

    /** bench memory's byte count sees 2 bytes per parameter for bf16 weights and their gradients (4 in fp32). */
    @Test
    void bf16WeightsAndGradientsCountTwoBytesPerParameter(@TempDir Path dir) throws Exception {
        for (String p : new String[] {"fp32", "bf16"}) {
            TrainConfig config = config(dir.resolve(p), 1, Map.of("train.precision", p));
            JsonNode held = LocalRanks.run(1, CollectiveConfig.loopback(Duration.ofSeconds(60)), c -> {
                try (TrainableModel m = ModelSource.of(config, 1024).open(new Configuration());
                     ZeroOptimizer zero = ZeroOptimizer.create(c, PartitionLayout.of(TrainingVerifier.flatParams(
                             m.params()), 1, 2), ZeroStage.STAGE_0, new dev.zerospark.optim.AdamWConfig(0.9, 0.95, 1e-8, 0.1), 1.0, 1 << 20, null, m,
                             false)) {
                    new TrainStep(c, m, zero).run(List.of(new TrainStep.MicroBatch(new int[][] {{1, 2, 3, 4}}, null)),
                            1e-3);
                    return (JsonNode) MemoryBenchRank.held(m, zero); // .grad tensors stay allocated, zeroed

                }
            }).get(0);
            long numel = 169728; // tiny-gpt2
            int bytes = p.equals("bf16") ? 2 : 4;
            assertEquals(p, held.path("model_dtype").asText());
            assertEquals(bytes * numel, held.path("weights_model").asLong(), p + " weights: " + held);
            assertEquals(bytes * numel, held.path("gradients_model").asLong(), p + " gradients: " + held);
        }
    }

    private static JsonNode safetensorsHeader(CheckpointStore store, String name) throws Exception {
        try (InputStream in = store.open(3, name)) {
            long len = ByteBuffer.wrap(in.readNBytes(8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
            return JSON.readTree(new String(in.readNBytes((int) len), StandardCharsets.UTF_8));
        }
    }

    private static TrainConfig config(Path dir, int steps, Map<String, Object> extra) {
        Map<String, Object> o = new HashMap<>(extra);
        o.put("train.model", TestPaths.fixture("tiny-gpt2").toAbsolutePath().toString());
        o.put("train.world_size", 2);
        o.put("train.steps", steps);
        o.put("train.micro_batch_size", 2);
        o.put("train.seq_len", 16);
        o.put("train.eval_interval", 0);
        o.put("train.checkpoint_interval", 3);
        o.put("train.optimizer.lr", 1e-2);
        o.putIfAbsent("train.optimizer.schedule", "constant");
        o.putIfAbsent("train.optimizer.warmup_steps", 0);
        o.put("train.checkpoint_dir", dir.resolve("ckpt").toUri().toString());
        o.put("train.run_dir", dir.resolve("run").toUri().toString());
        return ConfigLoader.load(null, o).train();
    }

    /** Two ranks as threads over an in-process rendezvous; rank 0's per-step metrics. */
    private static List<StepMetrics> train(TrainConfig config) throws Exception {
        return train(config, spec(config));
    }

    private static RunSpec spec(TrainConfig config) throws Exception {
        return RunSpec.from(config, ConfigLoader.jsonMapper().writeValueAsString(config), "run-a", -1);
    }

    private static List<StepMetrics> train(TrainConfig config, RunSpec spec) throws Exception {
        List<RankResult> ranks = SyntheticRanks.train(config, spec);
        return ranks.get(0).metrics();
    }
}
