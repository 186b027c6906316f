package dev.zerospark.train;

import dev.zerospark.safetensors.HalfFloats;
import dev.zerospark.safetensors.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The weight checks of a bf16 replay against {@link TrainingReference#BF16_MASTER_FILE} (issue 13): kernels that are
 * equally valid make bf16 runs drift apart, so the final fp32 master weights are compared relative to the reference's
 * own update, the weights that never get a gradient (only weight decay moves them, in fp32) exactly, and the bf16
 * model weights must be the round-to-nearest-even of the master weights bit for bit.
 *
 * @param relToUpdate ||master - reference master||_2 / ||reference master - initial||_2
 * @param gradlessMaxAbs max |master - reference master| over the position-embedding rows no loss reaches (rows from
 *     sequence_length - 1 on: the last position predicts nothing and feeds nothing else); 0 when the model has none
 * @param roundingMismatches model weights that are not the bf16 rounding of their master weight
 * @param firstMismatch the first of those, named, or null
 */
public record MasterWeightCheck(double relToUpdate, double gradlessMaxAbs, long roundingMismatches,
                                String firstMismatch) {
    /** The bounds: 0.1 of the reference's update, 1e-6 on gradient-free rows, no rounding mismatch. */
    public static final double MAX_REL_TO_UPDATE = 0.1;
    public static final double MAX_GRADLESS_ABS = 1e-6;
    /** GPT-2's learned position embedding, (positions, width). */
    static final String POSITION_EMBEDDING = "transformer.wpe.weight";

    public boolean passed() {
        return relToUpdate <= MAX_REL_TO_UPDATE && gradlessMaxAbs <= MAX_GRADLESS_ABS && roundingMismatches == 0;
    }

    /**
     * @param dir the fixture directory holding {@link TrainingReference#BF16_MASTER_FILE}
     * @param initial the flat weights before training, master the fp32 master weights after it, model the model's
     *     bf16 weights after it widened to fp32 (all in {@code specs}' layout)
     * @param sequenceLength the recipe's sequence length
     */
    public static MasterWeightCheck of(Path dir, List<ParamSpec> specs, float[] initial, float[] master, float[] model,
                                       int sequenceLength) throws IOException {
        double diff = 0;
        double update = 0;
        double gradless = 0;
        long mismatches = 0;
        String first = null;
        try (SafetensorsFile ref = SafetensorsFile.open(dir.resolve(TrainingReference.BF16_MASTER_FILE))) {
            for (ParamSpec p : specs) {
                float[] expected = ref.readFloats(p.name());
                int off = Math.toIntExact(p.offset());
                int gradlessFrom = p.name().equals(POSITION_EMBEDDING)
                        ? (sequenceLength - 1) * (int) p.shape()[1] : expected.length;
                for (int i = 0; i < expected.length; i++) {
                    double d = master[off + i] - expected[i];
                    double u = expected[i] - initial[off + i];
                    diff += d * d;
                    update += u * u;
                    if (i >= gradlessFrom) gradless = Math.max(gradless, Math.abs(d));
                    float rounded = HalfFloats.bf16ToFloat(HalfFloats.toBf16(master[off + i]));
                    if (Float.floatToRawIntBits(rounded) != Float.floatToRawIntBits(model[off + i])) {
                        if (mismatches++ == 0) {
                            first = p.name() + "[" + i + "] is " + model[off + i] + ", the bf16 rounding of its master "
                                    + "weight " + master[off + i] + " is " + rounded;
                        }
                    }
                }
            }
        }
        return new MasterWeightCheck(Math.sqrt(diff) / Math.sqrt(update), gradless, mismatches, first);
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "master weights: ||ours - ref|| / ||ref - initial|| = %.4f (max %.1f),"
                + " gradient-free position rows max abs %.2e (max %.0e), %d bf16 weights not RNE(master)%s",
                relToUpdate, MAX_REL_TO_UPDATE, gradlessMaxAbs, MAX_GRADLESS_ABS, roundingMismatches,
                firstMismatch == null ? "" : " (first: " + firstMismatch + ")");
    }
}
