package dev.zerospark.training;

import dev.zerospark.checkpoint.RankCheckpoint;
import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.checkpoint.CheckpointCommit;
import dev.zerospark.checkpoint.CheckpointStore;
import dev.zerospark.checkpoint.Layout;
import dev.zerospark.checkpoint.Manifest;
import dev.zerospark.collective.Collective;
import dev.zerospark.collective.JobSecret;
import dev.zerospark.collective.Rendezvous;
import dev.zerospark.model.HfConfigs;
import dev.zerospark.model.ModelConfig;
import dev.zerospark.optim.LrSchedule;
import dev.zerospark.train.LossSum;
import dev.zerospark.train.MatmulRate;
import dev.zerospark.train.ModelFlops;
import dev.zerospark.train.ParamSpec;
import dev.zerospark.train.TrainableModel;
import dev.zerospark.training.data.DataCursor;
import dev.zerospark.training.data.RankBatches;
import dev.zerospark.training.data.Rows;
import dev.zerospark.training.data.StreamSchedule;
import dev.zerospark.training.data.TrainingData;
import dev.zerospark.training.metrics.MetricsLog;
import dev.zerospark.training.metrics.StepMetrics;
import dev.zerospark.zero.PartitionLayout;
import dev.zerospark.zero.TrainStep;
import dev.zerospark.zero.TrainingVerifier;
import dev.zerospark.zero.ZeroOptimizer;
import dev.zerospark.zero.ZeroStage;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One rank of a data-parallel run: builds the model, loads the checkpoint, joins the TCP ring, restores the
 * optimizer (resharding it if the world size changed), and trains step by step with ZeRO, checkpointing and evaluating
 * on the way. Used inside a Spark barrier task; the rendezvous is pluggable so tests can run ranks as threads.
 */
public final class RankTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(RankTrainer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The few things a rank asks of its host (Spark's BarrierTaskContext in production). */
    public interface Host {
        int rank();

        Rendezvous rendezvous();

        /** Blocks until every rank arrives; used after a checkpoint commit. */
        void barrier();

        String bindAddress();

        /** The GPU index Spark assigned to this rank ({@code spark.task.resource.gpu.amount}), or -1 for CPU. */
        default int gpu() {
            return -1;
        }

        /**
         * Called at each {@link StepPhase} of every step with what the rank holds; {@code bench memory} samples the
         * process's memory here. Does nothing in production.
         */
        default void stepPhase(long step, StepPhase phase, TrainableModel model, ZeroOptimizer zero) {}
    }

    /** Points of a training step that {@link Host#stepPhase} sees. */
    public enum StepPhase {
        /** The batch is read; forward and backward of its micro-batches come next. */
        COMPUTE_START,
        /** Every micro-batch's forward and backward is done; the last one's reduction and the optimizer step come next. */
        COMPUTE_END,
        /** The optimizer step is done and the model has the new weights; evaluation and checkpoint come next. */
        STEP_END
    }

    private final RunSpec spec;
    private final TrainingData table;
    private final ModelSource source;
    private final Configuration conf;

    public RankTrainer(RunSpec spec, TrainingData table, ModelSource source, Configuration conf) {
        this.spec = spec;
        this.table = table;
        this.source = source;
        this.conf = conf;
    }

    public RankResult run(Host host) throws Exception {
        int rank = host.rank();
        int world = spec.worldSize();
        // Loads libtorch before its thread pool is sized; the pool is per process, so local-mode ranks share it.
        ai.djl.engine.Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(spec.threads());
        if (host.gpu() >= 0) LOG.info("rank {} trains on GPU {}", rank, host.gpu());
        // Rank 0 makes the job secret and hands it to the others through the rendezvous (Spark's allGather).
        String secretText = host.rendezvous().allGather(rank == 0 ? JobSecret.random().toBase64() : "").get(0);
        CheckpointStore store = new CheckpointStore(spec.checkpointRoot(), conf);
        try (TrainableModel model = source.open(conf, host.gpu() >= 0 ? Device.gpu(host.gpu()) : Device.cpu())) {
            List<ParamSpec> specs = model.params();
            PartitionLayout layout = PartitionLayout.of(TrainingVerifier.flatParams(specs), world, 2 * world);
            Manifest resumeFrom = spec.resumeStep() >= 0 ? store.manifest(spec.resumeStep()) : null;
            String modelConfig = source.configJson(conf);
            // The ring is joined only now, after the model download and model load: the collective timeout bounds
            // waiting on peers, and a peer that is still loading has not joined yet (the rendezvous inside connect
            // waits for it), so slow loading cannot trip the timeout.
            try (TimedCollective c = new TimedCollective(Collective.connect(rank, world, host.rendezvous(),
                    JobSecret.fromBase64(secretText), spec.collectiveConfig(host.bindAddress())))) {
                try (ZeroOptimizer zero = ZeroOptimizer.create(c, layout, ZeroStage.of(spec.zeroStage()), spec.adamW(),
                        spec.gradClip(), spec.bucketElements(), spec.lossScaler(), model, spec.offloadOptimizer())) {
                    long start = 0;
                    StreamSchedule.Position at = new StreamSchedule.Position(0, 0);
                    if (resumeFrom != null) {
                        // Only this rank's optimizer range is read (verified), chunk by chunk into its tensors; the
                        // weights are then all-gathered from the ranks' master shards into the model in place.
                        // The loop continues at the checkpoint's step; the optimizer at the steps it applied, fewer
                        // when fp16 skipped some (AdamW's bias correction and the lr schedule count those).
                        zero.restore(adam -> RankCheckpoint.load(store, resumeFrom, Layout.of(layout, specs), adam));
                        start = resumeFrom.step();
                        if (resumeFrom.lossScaler() != null) {
                            zero.restoreLossScaler(resumeFrom.lossScaler());
                        } else if (spec.lossScaled() && rank == 0) {
                            LOG.warn("{} records no loss scaler state: fp16 loss scaling restarts at its initial scale",
                                    store.stepUri(start));
                        }
                        // The data continues where the checkpoint says, whatever world size or batch saved it.
                        at = resumeFrom.data().position();
                        if (rank == 0) LOG.info("resumed from {} at step {}, {} optimizer steps applied (saved by {} ranks)",
                                store.stepUri(start), start, zero.stepsDone(), resumeFrom.worldSize());
                    }
                    RankBatches.Plan plan = new RankBatches.Plan(rank, spec.microBatch(), spec.gradAccum(), world, spec.seed(), start, at);
                    try (RankBatches batches = table.open(plan, conf)) {
                        if (resumeFrom != null) resumeFrom.data().requireShuffleWindow(batches.shuffleWindow(), store.stepUri(start));
                        return loop(host, c, model, new TrainStep(c, model, zero), store, specs, start, modelConfig, batches);
                    }
                } catch (Exception e) {
                    // Peers would otherwise see only a closed connection and report themselves as the failure
                    // (retryable), racing this rank's own report to the driver; the abort carries its class.
                    c.abort(RankFailedException.of(rank, e).getMessage());
                    throw e;
                }
            }
        }
    }

    private RankResult loop(Host host, TimedCollective c, TrainableModel model, TrainStep trainStep,
                            CheckpointStore store, List<ParamSpec> specs, long start, String modelConfig,
                            RankBatches batches) throws Exception {
        int rank = host.rank();
        ZeroOptimizer zero = trainStep.optimizer();
        LrSchedule lrs = spec.schedule();
        // MFU as bench train-step counts it: the global batch's model FLOPs over every rank's matmul peak.
        ModelConfig modelShape = HfConfigs.parse((ObjectNode) JSON.readTree(modelConfig));
        double peakFlops = rank == 0 ? MatmulRate.peakFlops(host.gpu() >= 0 ? Device.gpu(host.gpu()) : Device.cpu()) * spec.worldSize() : 1;
        MetricsLog metrics = rank == 0 ? new MetricsLog(spec.runDir(), conf) : null;
        if (metrics != null) metrics.resumeAt(start); // keeps the lines of steps before the resume
        long lastCheckpoint = start;
        long runStart = System.nanoTime();
        long skipped = start - zero.stepsDone(); // fp16 steps whose gradients overflowed, since the run began
        for (long step = start; step < spec.steps(); step++) {
            if (spec.attempt() == 0 && step == spec.failAtStep() && rank == spec.failRank()) injectFault(rank, step);
            long t0 = System.nanoTime();
            double stepFlops = 0;
            Rows[] batch = batches.step(step); // read ahead while the previous step trained
            List<TrainStep.MicroBatch> micro = new ArrayList<>(spec.gradAccum());
            for (int m = 0; m < spec.gradAccum(); m++) {
                micro.add(new TrainStep.MicroBatch(batch[m].ids(), batch[m].masks()));
                stepFlops += ModelFlops.perStep(modelShape, batch[m].ids().length,
                        batch[m].ids().length == 0 ? 0 : batch[m].ids()[0].length);
            }
            double dataS = (System.nanoTime() - t0) / 1e9;
            c.takeSeconds();

            host.stepPhase(step, StepPhase.COMPUTE_START, model, zero);
            long phaseStep = step;
            double lossScale = zero.lossScale(); // fp16: TrainStep scales the loss gradient, ZeroOptimizer divides it out
            // The schedule counts applied steps: a skipped fp16 step does not advance it (DeepSpeed steps its lr
            // scheduler only when the optimizer stepped); without loss scaling this is the loop's step.
            TrainStep.Result result = trainStep.run(micro, lrs.lr((int) zero.stepsDone()),
                    () -> host.stepPhase(phaseStep, StepPhase.COMPUTE_END, model, zero));
            if (result.skipped()) {
                skipped++;
                if (rank == 0) LOG.warn("step {}: gradients overflowed at loss scale {}; step skipped ({} so far), "
                        + "loss scale now {}", step + 1, lossScale, skipped, zero.lossScale());
            }
            double lr = result.lr();
            double globalTokens = result.globalTokens();
            double loss = result.loss();
            double optimizerAndComm = result.optimizerSeconds();
            long computeNanos = (long) (result.computeSeconds() * 1e9);
            double commS = c.takeSeconds();
            host.stepPhase(step, StepPhase.STEP_END, model, zero);
            double valLoss = Double.NaN;
            if (spec.evalInterval() > 0 && (step + 1) % spec.evalInterval() == 0 && table.validationRows() > 0) {
                valLoss = evaluate(c, model, batches);
            }
            double stepS = (System.nanoTime() - t0) / 1e9;
            if ((step + 1) % spec.checkpointInterval() == 0 || step + 1 == spec.steps()) {
                checkpoint(host, store, step + 1, zero, specs, batches, modelConfig);
                lastCheckpoint = step + 1;
            }
            if (rank == 0) {
                double tps = globalTokens / stepS;
                StepMetrics sm = new StepMetrics(step + 1, loss, lr, result.gradNorm(), tps,
                        ModelFlops.mfu(stepFlops * spec.worldSize(), stepS, peakFlops),
                        valLoss, Math.exp(valLoss), stepS, computeNanos / 1e9, commS,
                        Math.max(0, optimizerAndComm - commS), dataS, spec.lossScaled() ? lossScale : Double.NaN,
                        result.skipped(), skipped);
                metrics.add(sm);
                boolean last = step + 1 == spec.steps();
                if ((step + 1) % spec.logEvery() == 0 || last || !Double.isNaN(valLoss)) {
                    double elapsed = (System.nanoTime() - runStart) / 1e9;
                    double eta = elapsed / (step + 1 - start) * (spec.steps() - step - 1);
                    LOG.info("{}", MetricsLog.progressLine(sm, spec.steps(), eta));
                    metrics.flush();
                } else if (lastCheckpoint == step + 1) {
                    // A resume keeps the lines up to its checkpoint: they must be in the file by the time it exists.
                    metrics.flush();
                }
            }
        }
        return new RankResult(rank, rank == 0 ? metrics.steps() : List.of(), lastCheckpoint);
    }

    /**
     * Mean loss over (up to) evalBatches micro-batches of validation rows, striped across ranks: forward passes only
     * ({@link TrainableModel#loss}, the same function {@code eval perplexity} uses).
     */
    private double evaluate(Collective c, TrainableModel model, RankBatches batches) throws Exception {
        double sum = 0;
        long tokens = 0;
        for (Rows rows : batches.validation(spec.evalBatches() * spec.microBatch() * spec.worldSize())) {
            LossSum l = model.loss(rows.ids(), rows.masks());
            sum += l.sum();
            tokens += l.tokens();
        }
        double globalTokens = c.sumAcrossRanks(tokens);
        return c.sumAcrossRanks(sum) / Math.max(1, globalTokens);
    }

    /** Every rank writes its files; rank 0 gathers their checksums, writes the manifest, then all continue. */
    private void checkpoint(Host host, CheckpointStore store, long step, ZeroOptimizer zero, List<ParamSpec> specs,
                            RankBatches batches, String modelConfig) throws Exception {
        int rank = host.rank();
        Map<String, Manifest.FileEntry> mine = RankCheckpoint.save(store, step, zero.stepsDone(), rank, zero.adam(), modelConfig);
        List<String> all = host.rendezvous().allGather(CheckpointCommit.encode(mine));
        if (rank == 0) {
            StreamSchedule.Position at = batches.positionAfter(step);
            DataCursor data = new DataCursor(table.uri(), table.version(), spec.seed(), at.epoch(), at.sampleInEpoch(),
                    table.trainRows(), DataCursor.Tokenizer.of(table.tokenizer()), batches.shuffleWindow());
            Manifest manifest = CheckpointCommit.manifest(step, new CheckpointCommit.Run(spec.runId(), spec.worldSize(),
                    spec.zeroStage(), spec.configJson()), all, Layout.of(zero.layout(), specs), data, new Manifest.Rng(spec.seed(), batches.order()),
                    new CheckpointCommit.Optimizer(zero.stepsDone(), zero.lossScalerState()));
            // The step resumed from is kept whatever keep_last says: it is what a restart falls back to.
            store.commit(manifest, new CheckpointStore.Retention(spec.keepLast(), spec.resumeStep()));
        }
        host.barrier();
    }

    /** Test fault injection: fails this rank the way {@link RunSpec#fault()} says. */
    private void injectFault(int rank, long step) throws java.io.IOException {
        String what = "fault injection: rank " + rank + " fails before step " + (step + 1);
        switch (spec.fault()) {
            case LOST_TASK -> throw new java.io.IOException(what + " (lost task)");
            case BUG -> throw new IllegalStateException(what + " (bug)");
            case CONFIG -> throw new dev.zerospark.config.ConfigException("train.model", what + " (config error)");
        }
    }
}
