package dev.zerospark.zero;

import dev.zerospark.collective.Collective;
import dev.zerospark.collective.CollectiveConfig;
import dev.zerospark.collective.LocalRanks;
import dev.zerospark.model.Precision;
import dev.zerospark.optim.LrSchedule;
import dev.zerospark.train.MasterWeightCheck;
import dev.zerospark.train.ParamSpec;
import dev.zerospark.train.TrainableModel;
import dev.zerospark.train.TrainableModels;
import dev.zerospark.train.TrainingReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code verify-training}: replays a recorded PyTorch run ({@code training_reference.json} +
 * {@code train_batches.safetensors}) with N ranks as threads talking real TCP on 127.0.0.1 and ZeRO stage S, and
 * compares each step's global loss with the recorded one. With precision bf16 it replays the bf16 mixed-precision
 * run ({@code training_reference_bf16.json}) with the model in bf16, and also checks each step's gradient norm
 * ({@link #BF16_GRAD_NORM_TOLERANCE}) and the final weights ({@link MasterWeightCheck}). Each rank takes its equal, contiguous slice of every
 * global batch; gradients are scaled by 1/(global predicted tokens) so their sum over ranks is the gradient of
 * the global mean loss, as in the single-process run.
 */
public final class TrainingVerifier {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingVerifier.class);

    /** bf16: |grad_norm_before_clip - reference| bound per step (issue 13's parity checks). */
    public static final double BF16_GRAD_NORM_TOLERANCE = 1e-2;

    /**
     * What to verify. {@code microBatches} splits each rank's slice further (gradient accumulation); every rank's
     * model lives on {@code device} (verify-training --device); {@code precision} fp32 replays
     * training_reference.json, bf16 training_reference_bf16.json with the model in bf16.
     */
    public record Options(Path modelDir, int worldSize, ZeroStage stage, double tolerance, int microBatches,
                          CollectiveConfig collective, ai.djl.Device device, Precision precision) {
        /** On the CPU, in fp32. */
        public Options(Path modelDir, int worldSize, ZeroStage stage, double tolerance, int microBatches,
                       CollectiveConfig collective) {
            this(modelDir, worldSize, stage, tolerance, microBatches, collective, ai.djl.Device.cpu(), Precision.FP32);
        }

        /** On the CPU. */
        public Options(Path modelDir, int worldSize, ZeroStage stage, double tolerance, int microBatches,
                       CollectiveConfig collective, Precision precision) {
            this(modelDir, worldSize, stage, tolerance, microBatches, collective, ai.djl.Device.cpu(), precision);
        }

        /** In fp32. */
        public Options(Path modelDir, int worldSize, ZeroStage stage, double tolerance, int microBatches,
                       CollectiveConfig collective, ai.djl.Device device) {
            this(modelDir, worldSize, stage, tolerance, microBatches, collective, device, Precision.FP32);
        }

        public Options {
            if (precision == Precision.FP16) {
                throw new IllegalArgumentException("--precision fp16: there is no fp16 reference run; use fp32 or bf16");
            }
            if (worldSize < 1) {
                throw new IllegalArgumentException("--world-size must be >= 1, got " + worldSize);
            }
            if (!(tolerance >= 0)) {
                throw new IllegalArgumentException("--tolerance must be >= 0, got " + tolerance);
            }
            if (microBatches < 1) {
                throw new IllegalArgumentException("micro-batches must be >= 1, got " + microBatches);
            }
        }
    }

    /** One replayed step next to the recording. */
    public record StepRow(int step, double loss, double referenceLoss, double gradNorm, double referenceGradNorm,
                          double lr, double referenceLr) {
        public double error() {
            return Math.abs(loss - referenceLoss);
        }
    }

    /**
     * All steps; passed only if every step's loss error is within the tolerance, and in bf16 every gradient norm
     * within {@link #BF16_GRAD_NORM_TOLERANCE} and the final weights pass {@code weights} (null in fp32).
     */
    public record Report(Options options, List<StepRow> steps, MasterWeightCheck weights) {
        public boolean passed() {
            return steps.stream().allMatch(s -> s.error() <= options.tolerance() && gradNormOk(s))
                    && (weights == null || weights.passed());
        }

        private boolean gradNormOk(StepRow s) {
            return weights == null || Math.abs(s.gradNorm() - s.referenceGradNorm()) <= BF16_GRAD_NORM_TOLERANCE;
        }

        public double maxError() {
            return steps.stream().mapToDouble(StepRow::error).max().orElse(0);
        }

        /** Human-readable table: one line per step, then the verdict. */
        public String table() {
            StringBuilder out = new StringBuilder(String.format("%4s  %12s  %12s  %10s  %10s  %10s  %10s%n", "step",
                    "loss", "reference", "error", "grad_norm", "ref_norm", "lr"));
            for (StepRow r : steps) {
                out.append(String.format("%4d  %12.8f  %12.8f  %10.3e  %10.6f  %10.6f  %10.3e%s%s%n", r.step(), r.loss(),
                        r.referenceLoss(), r.error(), r.gradNorm(), r.referenceGradNorm(), r.lr(),
                        r.error() <= options.tolerance() ? "" : "  OVER TOLERANCE",
                        gradNormOk(r) ? "" : "  GRAD NORM OVER " + BF16_GRAD_NORM_TOLERANCE));
            }
            if (weights != null) out.append(weights).append(weights.passed() ? "" : "  FAIL").append('\n');
            out.append(String.format("%s, world size %d, ZeRO stage %d, max error %.3e, tolerance %.1e: %s%n",
                    options.precision().key(), options.worldSize(), options.stage().number(), maxError(),
                    options.tolerance(), passed() ? "PASS" : "FAIL"));
            return out.toString();
        }
    }

    private TrainingVerifier() {}

    /** One rank's replay: its rows, and in bf16 what the final weight check needs. */
    private record Replay(List<StepRow> rows, Bf16State bf16) {}

    /** A rank's range of the final master weights; rank 0 also the initial and final model weights. */
    private record Bf16State(List<ParamSpec> specs, float[] initial, long masterOffset, float[] master,
                             float[] weights) {}

    public static Report run(Options options) throws IOException {
        boolean bf16 = options.precision() == Precision.BF16;
        TrainingReference reference = TrainingReference.read(
                options.modelDir().resolve(bf16 ? TrainingReference.BF16_FILE : TrainingReference.FILE));
        int[][][] batches = TrainingReference.readBatches(options.modelDir());
        int steps = reference.steps().size();
        if (batches.length < steps) {
            throw new IOException(options.modelDir().resolve(TrainingReference.BATCHES_FILE) + " holds "
                    + batches.length + " batches, " + TrainingReference.FILE + " records " + steps + " steps");
        }
        int global = batches[0].length;
        int n = options.worldSize();
        if (global % (n * options.microBatches()) != 0) {
            throw new IllegalArgumentException("global batch of " + global + " sequences cannot be split evenly over "
                    + n + " ranks x " + options.microBatches() + " micro-batches");
        }
        List<Replay> perRank = LocalRanks.run(n, options.collective(),
                c -> replay(c, options, reference, batches));
        return new Report(options, perRank.get(0).rows(), bf16 ? weightCheck(options, reference, perRank) : null);
    }

    /** The ranks' master ranges put together (a range may overlap another's: stage 0 holds everything) and checked. */
    private static MasterWeightCheck weightCheck(Options options, TrainingReference reference, List<Replay> perRank)
            throws IOException {
        Bf16State first = perRank.get(0).bf16();
        float[] master = new float[first.weights().length];
        for (Replay r : perRank) {
            System.arraycopy(r.bf16().master(), 0, master, (int) r.bf16().masterOffset(), r.bf16().master().length);
        }
        MasterWeightCheck check = MasterWeightCheck.of(options.modelDir(), first.specs(), first.initial(), master,
                first.weights(), reference.recipe().sequenceLength());
        LOG.info("verify-training N={} {} bf16 {}", options.worldSize(), options.stage(), check);
        return check;
    }

    private static Replay replay(Collective c, Options options, TrainingReference reference,
                                 int[][][] batches) throws IOException {
        TrainingReference.Recipe recipe = reference.recipe();
        LrSchedule schedule = recipe.schedule();
        try (TrainableModel model = TrainableModels.load(options.modelDir(), options.device(), options.precision());
             ZeroOptimizer zero = ZeroOptimizer.create(c, PartitionLayout.of(flatParams(model.params()), c.worldSize(),
                     2 * c.worldSize()), options.stage(), recipe.adamW(), recipe.maxGradNorm(), 1 << 22, null, model,
                     false)) {
            // The production step: the same TrainStep the trainer runs, on this rank's slice of each global batch.
            TrainStep trainStep = new TrainStep(c, model, zero);
            boolean bf16 = options.precision() == Precision.BF16;
            int numel = bf16 ? TrainableModels.flatArrayLength("verify-training --precision bf16", model.numel()) : 0;
            float[] initial = bf16 && c.rank() == 0 ? new float[numel] : null;
            if (initial != null) model.readParams(initial); // fp32 still: the model is cast at its first step
            List<StepRow> rows = new ArrayList<>();
            for (TrainingReference.Step ref : reference.steps()) {
                int[][] batch = batches[ref.step()];
                int perRank = batch.length / c.worldSize();
                int perMicro = perRank / options.microBatches();
                List<TrainStep.MicroBatch> micro = new ArrayList<>();
                for (int mb = 0; mb < options.microBatches(); mb++) {
                    int from = c.rank() * perRank + mb * perMicro;
                    micro.add(new TrainStep.MicroBatch(Arrays.copyOfRange(batch, from, from + perMicro), null));
                }
                TrainStep.Result result = trainStep.run(micro, schedule.lr(ref.step()));
                StepRow row = new StepRow(ref.step(), result.loss(), ref.loss(), result.gradNorm(),
                        ref.gradNormBeforeClip(), result.lr(), ref.lr());
                if (c.rank() == 0) {
                    LOG.info("verify-training N={} {} step {}: loss {} reference {} error {}", c.worldSize(),
                            options.stage(), row.step(), row.loss(), row.referenceLoss(), row.error());
                }
                rows.add(row);
            }
            if (!bf16) return new Replay(rows, null);
            // bf16: every rank hands back its range of the fp32 master weights, rank 0 also the model's bf16 weights
            ShardedAdamW adam = zero.adam();
            int own = (int) Math.max(0, Math.min(adam.length(), numel - adam.rangeOffset())); // without padding
            float[] master = new float[own];
            adam.read(ShardedAdamW.State.MASTER, 0, master, 0, own);
            float[] weights = null;
            if (c.rank() == 0) {
                weights = new float[numel];
                model.readParams(weights); // the bf16 weights, widened exactly
            }
            return new Replay(rows, new Bf16State(model.params(), initial, adam.rangeOffset(), master, weights));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** The model's flat layout in this package's terms. */
    public static List<FlatParam> flatParams(List<ParamSpec> specs) {
        List<FlatParam> params = new ArrayList<>(specs.size());
        for (ParamSpec s : specs) {
            params.add(new FlatParam(s.name(), s.offset(), s.numel(), s.decay()));
        }
        return params;
    }
}
