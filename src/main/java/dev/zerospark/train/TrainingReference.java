package dev.zerospark.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.optim.AdamWConfig;
import dev.zerospark.optim.LrSchedule;
import dev.zerospark.safetensors.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A recorded PyTorch training run ({@code training_reference.json}): the recipe and each step's loss, grad norm
 * before clipping and learning rate. The batches live next to it in {@code train_batches.safetensors}.
 */
public record TrainingReference(Recipe recipe, List<Step> steps) {
    public static final String FILE = "training_reference.json";
    public static final String BATCHES_FILE = "train_batches.safetensors";
    public static final String WEIGHTS_AFTER_FILE = "weights_after_training.safetensors";
    /** The bf16 mixed-precision run of the same recipe (its "recipe.precision" says exactly how it computes). */
    public static final String BF16_FILE = "training_reference_bf16.json";
    /** That run's fp32 master weights after the last step. */
    public static final String BF16_MASTER_FILE = "weights_after_training_bf16_master.safetensors";
    /** That run's bf16 model weights after the last step (the round-to-nearest-even of its master weights). */
    public static final String BF16_MODEL_FILE = "weights_after_training_bf16_model.safetensors";

    /** The hyper-parameters of the recorded run. */
    public record Recipe(double weightDecay, double beta1, double beta2, double eps, double maxGradNorm,
                         double peakLr, double floorLr, int warmup, int totalSteps, int globalBatchSequences,
                         int sequenceLength) {
        public AdamWConfig adamW() {
            return new AdamWConfig(beta1, beta2, eps, weightDecay);
        }

        public LrSchedule schedule() {
            return new LrSchedule(peakLr, floorLr, warmup, totalSteps);
        }
    }

    /** One recorded optimizer step. */
    public record Step(int step, double loss, double gradNormBeforeClip, double lr) {}

    /** Reads {@code dir/training_reference.json} (or the file itself). */
    public static TrainingReference read(Path dirOrFile) throws IOException {
        Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve(FILE) : dirOrFile;
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        JsonNode r = field(root, "recipe", file);
        JsonNode betas = field(r, "betas", file);
        Recipe recipe = new Recipe(num(r, "weight_decay", file), betas.get(0).asDouble(), betas.get(1).asDouble(),
                num(r, "eps", file), num(r, "grad_clip_global_l2_norm", file), num(r, "peak_lr", file),
                num(r, "floor_lr", file), (int) num(r, "warmup", file), (int) num(r, "total_steps", file),
                (int) num(r, "global_batch_sequences", file), (int) num(r, "sequence_length", file));
        List<Step> steps = new ArrayList<>();
        for (JsonNode s : field(root, "steps", file)) {
            steps.add(new Step((int) num(s, "step", file), num(s, "loss", file),
                    num(s, "grad_norm_before_clip", file), num(s, "lr", file)));
        }
        return new TrainingReference(recipe, List.copyOf(steps));
    }

    /** {@code batches[step][sequence][position]} from {@code dir/train_batches.safetensors} (tensor "batches"). */
    public static int[][][] readBatches(Path dir) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(BATCHES_FILE))) {
            long[] shape = f.info("batches").shape();
            if (shape.length != 3) {
                throw new IOException("tensor batches in " + f.path() + " must be (steps, batch, seq), got shape "
                        + java.util.Arrays.toString(shape));
            }
            long[] flat = f.readLongs("batches");
            int[][][] out = new int[(int) shape[0]][(int) shape[1]][(int) shape[2]];
            int i = 0;
            for (int[][] step : out) {
                for (int[] row : step) {
                    for (int t = 0; t < row.length; t++) {
                        row[t] = Math.toIntExact(flat[i++]);
                    }
                }
            }
            return out;
        }
    }

    private static JsonNode field(JsonNode n, String key, Path file) throws IOException {
        JsonNode v = n == null ? null : n.get(key);
        if (v == null || v.isNull()) {
            throw new IOException(file + ": missing key \"" + key + "\"");
        }
        return v;
    }

    private static double num(JsonNode n, String key, Path file) throws IOException {
        JsonNode v = field(n, key, file);
        if (!v.isNumber()) {
            throw new IOException(file + ": key \"" + key + "\" must be a number, got " + v);
        }
        return v.asDouble();
    }
}
