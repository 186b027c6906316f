package dev.zerospark.zero;

import dev.zerospark.collective.Collective;
import dev.zerospark.collective.CollectiveConfig;
import dev.zerospark.collective.LocalRanks;
import dev.zerospark.optim.LrSchedule;
import dev.zerospark.train.LossSum;
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
 * compares each step's global loss with the recorded one. Each rank takes its equal, contiguous slice of every
 * global batch; gradients are scaled by 1/(global predicted tokens) so their sum over ranks is the gradient of
 * the global mean loss, as in the single-process run.
 */
public final class TrainingVerifier {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingVerifier.class);

    /**
     * What to verify. {@code microBatches} splits each rank's slice further (gradient accumulation); every rank's
     * model lives on {@code device} (verify-training --device).
     */
    public record Options(Path modelDir, int worldSize, ZeroStage stage, double tolerance, int microBatches,
                          CollectiveConfig collective, ai.djl.Device device) {
        /** On the CPU. */
        public Options(Path modelDir, int worldSize, ZeroStage stage, double tolerance, int microBatches,
                       CollectiveConfig collective) {
            this(modelDir, worldSize, stage, tolerance, microBatches, collective, ai.djl.Device.cpu());
        }

        public Options {
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

    /** All steps; passed only if every step's loss error is within the tolerance. */
    public record Report(Options options, List<StepRow> steps) {
        public boolean passed() {
            return steps.stream().allMatch(s -> s.error() <= options.tolerance());
        }

        public double maxError() {
            return steps.stream().mapToDouble(StepRow::error).max().orElse(0);
        }

        /** Human-readable table: one line per step, then the verdict. */
        public String table() {
            StringBuilder out = new StringBuilder(String.format("%4s  %12s  %12s  %10s  %10s  %10s  %10s%n", "step",
                    "loss", "reference", "error", "grad_norm", "ref_norm", "lr"));
            for (StepRow r : steps) {
                out.append(String.format("%4d  %12.8f  %12.8f  %10.3e  %10.6f  %10.6f  %10.3e%s%n", r.step(), r.loss(),
                        r.referenceLoss(), r.error(), r.gradNorm(), r.referenceGradNorm(), r.lr(),
                        r.error() <= options.tolerance() ? "" : "  OVER TOLERANCE"));
            }
            out.append(String.format("world size %d, ZeRO stage %d, max error %.3e, tolerance %.1e: %s%n",
                    options.worldSize(), options.stage().number(), maxError(), options.tolerance(),
                    passed() ? "PASS" : "FAIL"));
            return out.toString();
        }
    }

    private TrainingVerifier() {}

    public static Report run(Options options) throws IOException {
        TrainingReference reference = TrainingReference.read(options.modelDir());
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
        List<List<StepRow>> perRank = LocalRanks.run(n, options.collective(),
                c -> replay(c, options, reference, batches));
        return new Report(options, perRank.get(0));
    }

    private static List<StepRow> replay(Collective c, Options options, TrainingReference reference,
                                        int[][][] batches) throws IOException {
        TrainingReference.Recipe recipe = reference.recipe();
        LrSchedule schedule = recipe.schedule();
        try (TrainableModel model = TrainableModels.load(options.modelDir(), options.device())) {
            int numel = TrainableModels.flatArrayLength("verify-training", model.numel());
            PartitionLayout layout = PartitionLayout.of(flatParams(model.params()), c.worldSize(), 2 * c.worldSize());
            float[] initial = new float[numel];
            model.readParams(initial);
            ZeroOptimizer zero = ZeroOptimizer.create(c, layout, options.stage(), recipe.adamW(),
                    recipe.maxGradNorm(), 1 << 22, null, initial);
            float[] microGrad = new float[numel];
            List<StepRow> rows = new ArrayList<>();
            for (TrainingReference.Step ref : reference.steps()) {
                int[][] batch = batches[ref.step()];
                long tokens = TrainableModel.countTargets(batch, null);
                int perRank = batch.length / c.worldSize();
                int perMicro = perRank / options.microBatches();
                double lossSum = 0;
                for (int mb = 0; mb < options.microBatches(); mb++) {
                    int from = c.rank() * perRank + mb * perMicro;
                    int[][] micro = Arrays.copyOfRange(batch, from, from + perMicro);    // (B / (N * M), T)
                    Arrays.fill(microGrad, 0f);
                    LossSum loss = model.forwardBackward(micro, null, 1f / tokens, microGrad);
                    lossSum += loss.sum();
                    float[] grads = zero.gradients();
                    for (int i = 0; i < numel; i++) {
                        grads[i] += microGrad[i];
                    }
                    zero.accumulate();
                }
                double lr = schedule.lr(ref.step());
                ZeroOptimizer.StepResult result = zero.step(lr);
                model.writeParams(Arrays.copyOf(zero.params(), numel));
                double loss = c.sumAcrossRanks(lossSum) / tokens;
                StepRow row = new StepRow(ref.step(), loss, ref.loss(), result.gradNorm(), ref.gradNormBeforeClip(),
                        lr, ref.lr());
                if (c.rank() == 0) {
                    LOG.info("verify-training N={} {} step {}: loss {} reference {} error {}", c.worldSize(),
                            options.stage(), row.step(), row.loss(), row.referenceLoss(), row.error());
                }
                rows.add(row);
            }
            return rows;
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
