package dev.zerospark.training;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.checkpoint.CheckpointStore;
import dev.zerospark.checkpoint.Layout;
import dev.zerospark.checkpoint.Manifest;
import dev.zerospark.collective.Collective;
import dev.zerospark.collective.JobSecret;
import dev.zerospark.collective.Rendezvous;
import dev.zerospark.optim.LrSchedule;
import dev.zerospark.train.LossSum;
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
import java.util.LinkedHashMap;
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
                restored = RankCheckpoint.load(store, store.manifest(spec.resumeStep()),
                        sharded ? layout.shardOffset(rank) : 0L, Math.toIntExact(sharded ? layout.shardSize() : layout.paddedNumel()), numel);
            }
            String modelConfig = source.configJson(conf);
            // The ring is joined only now, after the model download, model load and checkpoint load: the
            // collective timeout bounds waiting on peers, and a peer that is still loading has not joined yet
            // (the rendezvous inside connect waits for it), so slow loading cannot trip the timeout.
            try (TimedCollective c = new TimedCollective(Collective.connect(rank, world, host.rendezvous(),
                    JobSecret.fromBase64(secretText), spec.collectiveConfig(host.bindAddress())))) {
                try {
                    ZeroOptimizer zero = ZeroOptimizer.create(c, layout, ZeroStage.of(spec.zeroStage()), spec.adamW(),
                            spec.gradClip(), spec.bucketElements(), spec.lossScaler(), initial);
                    long start = 0;
                    StreamSchedule.Position at = new StreamSchedule.Position(0, 0);
                    if (restored != null) {
                        RankCheckpoint.restore(zero, restored);
                        model.writeParams(Arrays.copyOf(zero.params(), numel));
                        start = restored.step();
                        // The data continues where the checkpoint says, whatever world size or batch saved it.
                        at = DataCursor.fromJson(store.manifest(start).data(), store.stepUri(start)).position();
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
        double flopsPerToken = 6.0 * numel;
        double peakFlops = rank == 0 ? MatmulRate.measureFlops() * spec.worldSize() : 1;
        MetricsLog metrics = rank == 0 ? new MetricsLog(spec.runDir(), conf) : null;
        if (metrics != null) metrics.resumeAt(start); // keeps the lines of steps before the resume
        long lastCheckpoint = start;
        long runStart = System.nanoTime();
        long skipped = 0; // fp16 steps whose gradients overflowed, this attempt
        for (long step = start; step < spec.steps(); step++) {
            if (spec.attempt() == 0 && step == spec.failAtStep() && rank == spec.failRank()) injectFault(rank, step);
            long t0 = System.nanoTime();
            int[][][] ids = new int[spec.gradAccum()][][];
            float[][][] masks = new float[spec.gradAccum()][][];
            long localTokens = 0;
            Rows[] batch = batches.step(step); // read ahead while the previous step trained
            for (int m = 0; m < spec.gradAccum(); m++) {
                ids[m] = batch[m].ids();
                masks[m] = batch[m].masks();
                localTokens += TrainableModel.countTargets(ids[m], masks[m]);
            }
            double globalTokens = c.sumAcrossRanks(localTokens);
            double dataS = (System.nanoTime() - t0) / 1e9;
            c.takeSeconds();

            double lossSum = 0;
            long computeNanos = 0;
            double lossScale = zero.lossScale(); // fp16: the loss gradient is scaled up, ZeroOptimizer divides it out
            for (int m = 0; m < spec.gradAccum(); m++) {
                long f0 = System.nanoTime();
                // The model adds this micro-batch's gradients straight into ZeRO's (padded) flat buffer.
                LossSum loss = model.forwardBackward(ids[m], masks[m], (float) (lossScale / globalTokens), zero.gradients());
                lossSum += loss.sum();
                computeNanos += System.nanoTime() - f0;
                zero.accumulate();
            }
            // The schedule counts applied steps: a skipped fp16 step does not advance it (DeepSpeed steps its lr
            // scheduler only when the optimizer stepped); without loss scaling this is the loop's step.
            double lr = lrs.lr((int) zero.stepsDone());
            long o0 = System.nanoTime();
            ZeroOptimizer.StepResult result = zero.step(lr);
            if (result.skipped()) {
                skipped++;
                if (rank == 0) LOG.warn("step {}: gradients overflowed at loss scale {}; step skipped ({} so far), "
                        + "loss scale now {}", step + 1, lossScale, skipped, zero.lossScale());
            }
            model.writeParams(Arrays.copyOf(zero.params(), numel));
            double optimizerAndComm = (System.nanoTime() - o0) / 1e9;
            double loss = c.sumAcrossRanks(lossSum) / globalTokens;
            double commS = c.takeSeconds();
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
                StepMetrics sm = new StepMetrics(step + 1, loss, lr, result.gradNorm(), tps, tps * flopsPerToken / peakFlops,
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
        Map<String, Manifest.FileEntry> mine = RankCheckpoint.save(store, step, rank, zero.adam(), modelConfig);
        List<String> all = host.rendezvous().allGather(JSON.writeValueAsString(mine));
        if (rank == 0) {
            Map<String, Manifest.FileEntry> files = new LinkedHashMap<>();
            for (String json : all) files.putAll(JSON.readValue(json, new TypeReference<Map<String, Manifest.FileEntry>>() {}));
            ObjectNode layoutJson = Layout.of(zero.layout(), specs).toJson();
            StreamSchedule.Position at = batches.positionAfter(step);
            ObjectNode data = new DataCursor(table.uri(), table.version(), spec.seed(), at.epoch(), at.sampleInEpoch()).toJson()
                    .put("rows", table.trainRows());
            if (table.tokenizer() != null) {
                data.putObject(CheckpointTokenizer.MANIFEST_KEY).put("sha256", table.tokenizer().sha256()).put("uri", table.tokenizer().uri());
            }
            ObjectNode rng = JSON.createObjectNode().put("seed", spec.seed()).put("shuffle", batches.order());
            // The step resumed from is kept whatever keep_last says: it is what a restart falls back to.
            store.commit(new Manifest(step, spec.runId(), spec.worldSize(), spec.zeroStage(), files, layoutJson,
                    JSON.readTree(spec.configJson()), data, rng), new CheckpointStore.Retention(spec.keepLast(), spec.resumeStep()));
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
