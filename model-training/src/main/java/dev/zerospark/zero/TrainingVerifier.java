package dev.zerospark.zero;

import dev.zerospark.collective.Collective;
import dev.zerospark.collective.CollectiveConfig;
import dev.zerospark.collective.LocalRanks;
import dev.zerospark.optim.LrSchedule;
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
        try (TrainableModel model = TrainableModels.load(options.modelDir(), options.device());
             ZeroOptimizer zero = ZeroOptimizer.create(c, PartitionLayout.of(flatParams(model.params()), c.worldSize(),
                     2 * c.worldSize()), options.stage(), recipe.adamW(), recipe.maxGradNorm(), 1 << 22, null, model,
                     false)) {
            // The production step: the same TrainStep the trainer runs, on this rank's slice of each global batch.
            TrainStep trainStep = new TrainStep(c, model, zero);
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
