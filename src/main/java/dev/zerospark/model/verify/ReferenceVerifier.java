package dev.zerospark.model.verify;

import ai.djl.ndarray.NDManager;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.ModelLoader;
import dev.zerospark.generate.GenerationOptions;
import dev.zerospark.generate.Generator;
import dev.zerospark.safetensors.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Checks a model against recorded transformers outputs (the {@code reference_outputs.safetensors} format):
 * {@code input_ids} + {@code logits}; optionally {@code greedy_prompt}/{@code greedy_output} and
 * {@code padded_prompt}/{@code padded_attention_mask}/{@code padded_greedy_output}. Backs {@code model verify}.
 */
public final class ReferenceVerifier {
    private ReferenceVerifier() {}

    /**
     * @param maxAbsError max |ours - reference| over all logits
     * @param maxRelError max |ours - reference| / max(|reference|, 1): relative for large logits, absolute for
     *                    small ones, so near-zero logits cannot blow it up; the logits pass when it is <= tolerance
     * @param greedyMatches null when the file has no greedy_output
     * @param paddedGreedyMatches null when the file has no padded_greedy_output
     */
    public record Result(double maxAbsError, double maxRelError, double tolerance, Boolean greedyMatches,
                         Boolean paddedGreedyMatches, int[][] greedyOutput, int[][] paddedGreedyOutput) {
        public boolean logitsPass() {
            return maxRelError <= tolerance;
        }

        /** True when the logits pass and every greedy check present matches token for token. */
        public boolean passed() {
            return logitsPass() && !Boolean.FALSE.equals(greedyMatches) && !Boolean.FALSE.equals(paddedGreedyMatches);
        }

        /** Human-readable lines for the CLI. */
        public List<String> summary() {
            return List.of(
                    String.format("logits: max abs error %.3e, max rel error %.3e (tolerance %.1e) %s", maxAbsError,
                            maxRelError, tolerance, logitsPass() ? "PASS" : "FAIL"),
                    "greedy: " + (greedyMatches == null ? "not in reference" : greedyMatches ? "PASS" : "FAIL"),
                    "padded greedy: " + (paddedGreedyMatches == null ? "not in reference"
                            : paddedGreedyMatches ? "PASS" : "FAIL"));
        }
    }

    /** Loads {@code modelDir} and verifies it against {@code reference}. */
    public static Result verify(Path modelDir, Path reference, double tolerance) throws IOException {
        try (NDManager root = NDManager.newBaseManager("PyTorch"); CausalLm model = ModelLoader.load(modelDir, root)) {
            return verify(model, reference, tolerance);
        }
    }

    public static Result verify(CausalLm model, Path reference, double tolerance) throws IOException {
        try (SafetensorsFile ref = SafetensorsFile.open(reference)) {
            long[] idShape = ref.info("input_ids").shape();
            long[][] ids = longRows(ref.readLongs("input_ids"), (int) idShape[0]);
            float[] expected = ref.readFloats("logits");
            float[] got = model.logits(ids, null);
            if (got.length != expected.length) {
                throw new IllegalArgumentException("reference logits have shape "
                        + Arrays.toString(ref.info("logits").shape()) + " but the model produced " + got.length
                        + " values for input_ids " + Arrays.toString(idShape));
            }
            double maxAbs = 0;
            double maxRel = 0;
            for (int i = 0; i < got.length; i++) {
                double d = Math.abs((double) got[i] - expected[i]);
                maxAbs = Math.max(maxAbs, d);
                maxRel = Math.max(maxRel, d / Math.max(Math.abs(expected[i]), 1.0));
            }
            int[][] greedy = null;
            Boolean greedyOk = null;
            if (ref.contains("greedy_prompt") && ref.contains("greedy_output")) {
                int[][] expectedOut = rows(ref, "greedy_output");
                greedy = runGreedy(model, rows(ref, "greedy_prompt"), null, expectedOut);
                greedyOk = Arrays.deepEquals(greedy, expectedOut);
            }
            int[][] padded = null;
            Boolean paddedOk = null;
            if (ref.contains("padded_prompt") && ref.contains("padded_greedy_output")) {
                int[][] mask = ref.contains("padded_attention_mask") ? rows(ref, "padded_attention_mask") : null;
                int[][] expectedOut = rows(ref, "padded_greedy_output");
                padded = runGreedy(model, rows(ref, "padded_prompt"), mask, expectedOut);
                paddedOk = Arrays.deepEquals(padded, expectedOut);
            }
            return new Result(maxAbs, maxRel, tolerance, greedyOk, paddedOk, greedy, padded);
        }
    }

    private static int[][] runGreedy(CausalLm model, int[][] prompt, int[][] mask, int[][] expected) {
        int newTokens = expected[0].length - prompt[0].length;
        if (newTokens < 1) {
            throw new IllegalArgumentException("greedy output (" + expected[0].length
                    + " tokens) is not longer than its prompt (" + prompt[0].length + ")");
        }
        List<Integer> eos = model.config().eosTokenIds();
        // HF pads finished rows with pad_token_id, falling back to the (first) EOS id.
        int pad = model.config().padTokenId() >= 0 ? model.config().padTokenId() : eos.isEmpty() ? 0 : eos.get(0);
        return new Generator(model).generate(prompt, mask, GenerationOptions.greedy(newTokens, eos, pad), null)
                .sequences();
    }

    private static int[][] rows(SafetensorsFile f, String name) throws IOException {
        long[] shape = f.info(name).shape();
        long[] flat = f.readLongs(name);
        int b = (int) shape[0];
        int t = flat.length / b;
        int[][] out = new int[b][t];
        for (int i = 0; i < flat.length; i++) {
            out[i / t][i % t] = Math.toIntExact(flat[i]);
        }
        return out;
    }

    private static long[][] longRows(long[] flat, int b) {
        int t = flat.length / b;
        long[][] out = new long[b][t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(flat, i * t, out[i], 0, t);
        }
        return out;
    }
}
