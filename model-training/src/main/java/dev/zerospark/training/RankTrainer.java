package dev.zerospark.training;

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
import dev.zerospark.train.TrainableModels;
import dev.zerospark.training.data.DataCursor;
import dev.zerospark.training.data.RankBatches;
import dev.zerospark.training.data.Rows;
import dev.zerospark.training.data.StreamSchedule;
import dev.zerospark.training.data.TrainingData;
import dev.zerospark.training.metrics.MetricsLog;
import dev.zerospark.training.metrics.StepMetrics;
import dev.zerospark.zero.PartitionLayout;
import dev.zerospark.zero.TrainingVerifier;
import dev.zerospark.zero.ZeroOptimizer;
import dev.zerospark.zero.ZeroStage;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
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
        /** Every micro-batch's gradients are in the optimizer; its step comes next. */
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
            int numel = TrainableModels.flatArrayLength("the ZeRO rank trainer", model.numel());
            PartitionLayout layout = PartitionLayout.of(TrainingVerifier.flatParams(specs), world, 2 * world);
            float[] initial = new float[numel];
            model.readParams(initial);
            RankCheckpoint.OwnState restored = null;
            if (spec.resumeStep() >= 0) {
                // Only this rank's optimizer range is read (verified); the parameters are all-gathered from the
                // ranks' master shards by the restore below.
                boolean sharded = ZeroStage.of(spec.zeroStage()).partitionsOptimizer();
                restored = RankCheckpoint.load(store, store.manifest(spec.resumeStep()), Layout.of(layout, specs),
                        sharded ? layout.shardOffset(rank) : 0L, Math.toIntExact(sharded ? layout.shardSize() : layout.paddedNumel()));
            }
            String modelConfig = source.configJson(conf);
            // The ring is joined only now, after the model download, model load and checkpoint load: the
            // collective timeout bounds waiting on peers, and a peer that is still loading has not joined yet
            // (the rendezvous inside connect waits for it), so slow loading cannot trip the timeout.
            try (TimedCollective c = new TimedCollective(Collective.connect(rank, world, host.rendezvous(),
                    JobSecret.fromBase64(secretText), spec.collectiveConfig(host.bindAddress())))) {
                try {
                    ZeroOptimizer zero = ZeroOptimizer.create(c, layout, ZeroStage.of(spec.zeroStage()), spec.adamW(),
                            spec.gradClip(), spec.bucketElements(), null, initial);
                    long start = 0;
                    StreamSchedule.Position at = new StreamSchedule.Position(0, 0);
                    if (restored != null) {
                        RankCheckpoint.restore(zero, restored);
                        model.writeParams(Arrays.copyOf(zero.params(), numel));
                        start = restored.step();
                        // The data continues where the checkpoint says, whatever world size or batch saved it.
                        at = store.manifest(start).data().position();
                        if (rank == 0) LOG.info("resumed from {} at step {} (saved by {} ranks)", store.stepUri(start), start, store.manifest(start).worldSize());
                    }
                    RankBatches.Plan plan = new RankBatches.Plan(rank, spec.microBatch(), spec.gradAccum(), world, spec.seed(), start, at);
                    try (RankBatches batches = table.open(plan, conf)) {
                        return loop(host, c, model, zero, store, specs, numel, start, modelConfig, batches);
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

    private RankResult loop(Host host, TimedCollective c, TrainableModel model, ZeroOptimizer zero,
                            CheckpointStore store, List<ParamSpec> specs, int numel, long start, String modelConfig,
                            RankBatches batches) throws Exception {
        int rank = host.rank();
        LrSchedule lrs = spec.schedule();
        // MFU as bench train-step counts it: the global batch's model FLOPs over every rank's matmul peak.
        ModelConfig modelShape = HfConfigs.parse((ObjectNode) JSON.readTree(modelConfig));
        double peakFlops = rank == 0 ? MatmulRate.peakFlops(host.gpu() >= 0 ? Device.gpu(host.gpu()) : Device.cpu()) * spec.worldSize() : 1;
        MetricsLog metrics = rank == 0 ? new MetricsLog(spec.runDir(), conf) : null;
        if (metrics != null) metrics.resumeAt(start); // keeps the lines of steps before the resume
        long lastCheckpoint = start;
        long runStart = System.nanoTime();
        for (long step = start; step < spec.steps(); step++) {
            if (spec.attempt() == 0 && step == spec.failAtStep() && rank == spec.failRank()) injectFault(rank, step);
            long t0 = System.nanoTime();
            int[][][] ids = new int[spec.gradAccum()][][];
            float[][][] masks = new float[spec.gradAccum()][][];
            long localTokens = 0;
            double stepFlops = 0;
            Rows[] batch = batches.step(step); // read ahead while the previous step trained
            for (int m = 0; m < spec.gradAccum(); m++) {
                ids[m] = batch[m].ids();
                masks[m] = batch[m].masks();
                localTokens += TrainableModel.countTargets(ids[m], masks[m]);
                stepFlops += ModelFlops.perStep(modelShape, ids[m].length, ids[m].length == 0 ? 0 : ids[m][0].length);
            }
            double globalTokens = c.sumAcrossRanks(localTokens);
            double dataS = (System.nanoTime() - t0) / 1e9;
            c.takeSeconds();

            host.stepPhase(step, StepPhase.COMPUTE_START, model, zero);
            double lossSum = 0;
            long computeNanos = 0;
            for (int m = 0; m < spec.gradAccum(); m++) {
                long f0 = System.nanoTime();
                // The model adds this micro-batch's gradients straight into ZeRO's (padded) flat buffer.
                LossSum loss = model.forwardBackward(ids[m], masks[m], (float) (1.0 / globalTokens), zero.gradients());
                lossSum += loss.sum();
                computeNanos += System.nanoTime() - f0;
                zero.accumulate();
            }
            host.stepPhase(step, StepPhase.COMPUTE_END, model, zero);
            double lr = lrs.lr((int) step);
            long o0 = System.nanoTime();
            ZeroOptimizer.StepResult result = zero.step(lr);
            model.writeParams(Arrays.copyOf(zero.params(), numel));
            double optimizerAndComm = (System.nanoTime() - o0) / 1e9;
            double loss = c.sumAcrossRanks(lossSum) / globalTokens;
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
                        Math.max(0, optimizerAndComm - commS), dataS);
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
        Map<String, Manifest.FileEntry> mine = RankCheckpoint.save(store, step, rank, zero.adam(), modelConfig);
        List<String> all = host.rendezvous().allGather(CheckpointCommit.encode(mine));
        if (rank == 0) {
            StreamSchedule.Position at = batches.positionAfter(step);
            DataCursor data = new DataCursor(table.uri(), table.version(), spec.seed(), at.epoch(), at.sampleInEpoch(),
                    table.trainRows(), DataCursor.Tokenizer.of(table.tokenizer()));
            Manifest manifest = CheckpointCommit.manifest(step, new CheckpointCommit.Run(spec.runId(), spec.worldSize(),
                    spec.zeroStage(), spec.configJson()), all, Layout.of(zero.layout(), specs), data, new Manifest.Rng(spec.seed(), batches.order()));
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
