package dev.zerospark.pipeline.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.checkpoint.CheckpointStore;
import dev.zerospark.checkpoint.Manifest;
import dev.zerospark.config.ConfigException;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.PipelineConfig;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.data.NotADeltaTableException;
import dev.zerospark.data.PrepareJob;
import dev.zerospark.pipeline.Stage;
import dev.zerospark.pipeline.StageContext;
import dev.zerospark.pipeline.StageRecord;
import dev.zerospark.pipeline.StageResult;
import dev.zerospark.pipeline.StageStatus;
import dev.zerospark.registry.ModelVersion;
import dev.zerospark.checkpoint.CheckpointExport;
import dev.zerospark.training.TrainJob;
import dev.zerospark.training.metrics.StepMetrics;
import io.delta.tables.DeltaTable;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Trains a candidate: from the champion (the base model on the first run) on the run's training mix
 * ({@link TrainingMix}), into the run's own checkpoint directory with {@code resume} on, so a rerun of the run
 * continues from its newest checkpoint. Then exports the newest checkpoint to {@code <run dir>/candidate}.
 * When this run's augment stage succeeded, the mix also takes the self-instruct pairs it added (pinned at the version
 * it recorded). No new train rows since the previous training run: skipped as "nothing new".
 */
public final class TrainStage implements Stage {
    private static final Logger LOG = LoggerFactory.getLogger(TrainStage.class);
    static final String MIX = "train_mix";
    static final String CANDIDATE = "candidate";

    @Override
    public String name() {
        return TRAIN;
    }

    @Override
    public StageResult run(StageContext ctx) throws Exception {
        PipelineConfig p = ctx.config().pipeline();
        TrainConfig base = ctx.config().train();
        String lmBlocks = PrepareJob.table(ctx.config().prepare(), PrepareJob.LM_BLOCKS);
        if (!DeltaTable.isDeltaTable(ctx.spark(), lmBlocks)) throw new NotADeltaTableException(lmBlocks);
        String mixUri = ctx.runDir() + "/" + MIX;

        Optional<TrainingMix.Plan> existing = TrainingMix.existing(ctx.spark(), mixUri);
        TrainingMix.Plan plan;
        String baselineRun = null;
        if (existing.isPresent()) {
            plan = existing.get();
            LOG.info("run {}: training mix {} exists (a rerun): training on it as planned", ctx.runId(), mixUri);
        } else {
            Optional<StageRecord> previous = ctx.runs().newest(TRAIN, StageStatus.SUCCEEDED, ctx.runId());
            long baseline = previous.map(r -> r.inputVersions().getOrDefault(PrepareJob.LM_BLOCKS, -1L)).orElse(-1L);
            baselineRun = previous.map(StageRecord::runId).orElse(null);
            String from = ctx.registry().champion().map(ModelVersion::uri).orElse(p.baseModel());
            if (from == null && (base.arch() == null || base.preset() == null)) {
                throw new ConfigException("pipeline.base_model", "there is no champion in " + ctx.registry().uri()
                        + " yet, so the first run needs pipeline.base_model, or train.arch with train.preset");
            }
            plan = TrainingMix.write(ctx.spark(), lmBlocks, baseline, p.replayFraction(), base.seed(), from == null ? "" : from, mixUri,
                    pairs(ctx, previous.orElse(null)));
        }
        Map<String, Long> input = new TreeMap<>(Map.of(PrepareJob.LM_BLOCKS, plan.dataVersion()));
        if (plan.pairs() != null) input.put(plan.pairs(), plan.pairsVersion());
        if (plan.newTrainRows() == 0) {
            long added = ctx.metricsOf(PREPARE).path("new_articles").asLong(0);
            return StageResult.nothingNew("no new data: " + lmBlocks + " version " + plan.dataVersion() + " has no train blocks beyond version "
                    + plan.baselineVersion() + (baselineRun != null ? ", which run " + baselineRun + " trained on" : "")
                    + " (prepare added " + added + " articles)", input,
                    JsonNodeFactory.instance.objectNode().put("nothing_new", true).put("data_version", plan.dataVersion())
                            .put("baseline_version", plan.baselineVersion()).put("new_articles", added));
        }

        int steps = steps(p, base, plan);
        TrainConfig cfg = derive(base, plan.fromModel(), mixUri, steps, ctx.runDir() + "/checkpoints", ctx.runDir() + "/train", plan.pairRows() > 0);
        Configuration hadoop = ctx.spark().sparkContext().hadoopConfiguration();
        CheckpointStore store = new CheckpointStore(cfg.checkpointDir(), hadoop);
        long before = store.latestValid().map(Manifest::step).orElse(0L);
        ObjectNode metrics = JsonNodeFactory.instance.objectNode();
        if (before >= steps) {
            LOG.info("run {}: {} already holds step {} of {}; exporting it", ctx.runId(), cfg.checkpointDir(), before, steps);
        } else {
            TrainJob.Result r = TrainJob.run(ctx.spark(), cfg);
            StepMetrics last = r.metrics().get(r.metrics().size() - 1);
            metrics.put("final_loss", last.loss()).put("restarts", r.restarts()).put("report", r.reportUri());
        }
        String candidate = ctx.runDir() + "/" + CANDIDATE;
        java.nio.file.Path local = Files.createTempDirectory("zs-pipeline-candidate-");
        try {
            CheckpointExport.Target target = CheckpointExport.resolve(cfg.checkpointDir(), hadoop);
            CheckpointExport.export(target, local, null);
            LocalModel.upload(local, candidate, hadoop);
            metrics.put("exported_step", target.manifest().step());
        } finally {
            LocalModel.delete(local);
        }
        metrics.put("from_model", plan.fromModel().isEmpty() ? base.arch() + "/" + base.preset() + " (from scratch)" : plan.fromModel())
                .put("steps", steps).put("resumed_from_step", before).put("data", lmBlocks).put("data_version", plan.dataVersion())
                .put("baseline_version", plan.baselineVersion()).put("new_rows", plan.newRows()).put("new_train_rows", plan.newTrainRows())
                .put("replay_rows", plan.replayRows()).put("pair_rows", plan.pairRows()).put("pairs", plan.pairs())
                .put("train_mix", mixUri).put("checkpoint_dir", cfg.checkpointDir())
                .put(CANDIDATE, candidate);
        return StageResult.succeeded(input, Map.of(MIX, TrainingMix.latestVersion(ctx.spark(), mixUri)), metrics);
    }

    /**
     * The pairs this run's augment stage left, with the version of that table the previous training run pinned
     * (recorded in its input versions under the table's URI); null when augment did not succeed in this run.
     */
    static TrainingMix.Pairs pairs(StageContext ctx, StageRecord previousTrain) {
        Optional<StageRecord> augment = ctx.done(AUGMENT).filter(r -> r.status() == StageStatus.SUCCEEDED);
        if (augment.isEmpty()) return null;
        String table = ctx.metricsOf(AUGMENT).path("table").asText(null);
        Long version = table == null ? null : augment.get().outputVersions().get(table);
        if (version == null) {
            throw new IllegalStateException("the augment stage of run " + ctx.runId() + " recorded no output table version (metrics "
                    + ctx.metricsOf(AUGMENT) + ", output versions " + augment.get().outputVersions() + ")");
        }
        long baseline = previousTrain == null ? -1 : previousTrain.inputVersions().getOrDefault(table, -1L);
        return new TrainingMix.Pairs(table, version, baseline);
    }

    /** {@code pipeline.steps}, else {@code pipeline.epochs} over the mix's train rows, else {@code train.steps}. */
    static int steps(PipelineConfig p, TrainConfig base, TrainingMix.Plan plan) {
        if (p.steps() != null) return p.steps();
        if (p.epochs() == null) return base.steps();
        return (int) Math.max(1, Math.ceil(p.epochs() * plan.trainRows() / base.globalBatchSize()));
    }

    /** The {@code train} section with what the pipeline decides per run laid over it. */
    static TrainConfig derive(TrainConfig base, String fromModel, String data, int steps, String checkpointDir, String runDir,
                              boolean withPairs) {
        ObjectNode tree = ConfigLoader.jsonMapper().valueToTree(base);
        // With pairs, the mix has loss masks, and train reads a masked row's whole length as its seq_len: prepare.seq_len
        // + 1 here, which train.seq_len (prepare.seq_len) would refuse. The rows' lengths are still checked.
        if (withPairs) tree.remove("seq_len");
        if (!fromModel.isEmpty()) {
            tree.put("model", fromModel);
            tree.remove("arch");
            tree.remove("preset");
        }
        tree.put("data", data).put("steps", steps).put("checkpoint_dir", checkpointDir).put("run_dir", runDir)
                .put("resume", true).put("overwrite", false);
        JsonNode optimizer = tree.get("optimizer");
        if (optimizer instanceof ObjectNode o && o.path("warmup_steps").asInt(0) > steps) {
            LOG.warn("train.optimizer.warmup_steps {} is more than the run's {} steps; warming up over {} steps", o.get("warmup_steps"), steps, steps);
            o.put("warmup_steps", steps);
        }
        return ConfigLoader.bind(tree, TrainConfig.class, "pipeline (train section)");
    }
}
