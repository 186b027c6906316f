package dev.zerospark.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.ModelLoader;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.safetensors.SafetensorsFile;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GeneratorTest {
    static int[][] rows(long[] flat, int b) {
        int t = flat.length / b;
        int[][] out = new int[b][t];
        for (int i = 0; i < flat.length; i++) {
            out[i / t][i % t] = Math.toIntExact(flat[i]);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-llama"})
    void greedyMatchesTransformersWithAndWithoutLeftPadding(String fixture) throws Exception {
        Path dir = TestPaths.fixture(fixture);
        try (NDManager root = NDManager.newBaseManager("PyTorch");
             CausalLm model = ModelLoader.load(dir, root);
             SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference_outputs.safetensors"))) {
            int[][] prompt = rows(ref.readLongs("greedy_prompt"), 2);
            int[][] expected = rows(ref.readLongs("greedy_output"), 2);
            int newTokens = expected[0].length - prompt[0].length;
            int pad = model.config().padTokenId() >= 0 ? model.config().padTokenId() : 0;
            GenerationOptions greedy = GenerationOptions.greedy(newTokens, model.config().eosTokenIds(), pad);
            Generator gen = new Generator(model);
            GenerationResult r = gen.generate(prompt, null, greedy, null);
            assertArrayEquals(expected, r.sequences(), fixture + " greedy " + Arrays.deepToString(r.sequences()));

            int[][] padded = rows(ref.readLongs("padded_prompt"), 2);
            int[][] mask = rows(ref.readLongs("padded_attention_mask"), 2);
            int[][] expectedPadded = rows(ref.readLongs("padded_greedy_output"), 2);
            GenerationResult rp = gen.generate(padded, mask, greedy, null);
            assertArrayEquals(expectedPadded, rp.sequences(),
                    fixture + " padded greedy " + Arrays.deepToString(rp.sequences()));
        }
    }

    @Test
    void samplingIsSeededAndStopsAtEosAndStopStrings() throws Exception {
        try (NDManager root = NDManager.newBaseManager("PyTorch");
             CausalLm model = ModelLoader.load(TestPaths.fixture("tiny-llama"), root)) {
            Generator gen = new Generator(model);
            int[][] prompt = {{937, 884, 458, 982, 142, 818}};
            GenerationOptions s1 = new GenerationOptions(12, 1.5, 50, 0.95, 7, List.of(), 1, List.of());
            int[] a = gen.generate(prompt, null, s1, null).newTokens()[0];
            int[] b = gen.generate(prompt, null, s1, null).newTokens()[0];
            assertArrayEquals(a, b, "same seed, same tokens");
            GenerationOptions s2 = new GenerationOptions(12, 1.5, 50, 0.95, 8, List.of(), 1, List.of());
            assertNotEquals(Arrays.toString(a), Arrays.toString(gen.generate(prompt, null, s2, null).newTokens()[0]));

            // top_k = 1 sampling is greedy whatever the temperature
            GenerationOptions greedy = GenerationOptions.greedy(8, List.of(), 1);
            int[] g = gen.generate(prompt, null, greedy, null).newTokens()[0];
            GenerationOptions k1 = new GenerationOptions(8, 3.0, 1, 1.0, 3, List.of(), 1, List.of());
            assertArrayEquals(g, gen.generate(prompt, null, k1, null).newTokens()[0]);

            // EOS: declare the third greedy token an EOS; the row stops there and the rest is padding
            GenerationOptions eos = GenerationOptions.greedy(8, List.of(g[2]), 1);
            GenerationResult re = gen.generate(new int[][] {prompt[0], prompt[0]}, null, eos, null);
            assertEquals(FinishReason.EOS, re.finishReasons()[0]);
            assertArrayEquals(Arrays.copyOf(g, 3), re.newTokens()[0]);

            // stop string over a toy decoder: stops once the text contains the fourth token's spelling
            String stop = "<" + g[3] + ">";
            GenerationOptions st = new GenerationOptions(8, 0, 0, 1, 0, List.of(), 1, List.of(stop));
            GenerationResult rs = gen.generate(prompt, null, st, ids -> {
                StringBuilder sb = new StringBuilder();
                for (int id : ids) {
                    sb.append('<').append(id).append('>');
                }
                return sb.toString();
            });
            assertEquals(FinishReason.STOP_STRING, rs.finishReasons()[0]);
            assertTrue(rs.newTokens()[0].length <= 4);
            assertEquals(FinishReason.MAX_NEW_TOKENS, gen.generate(prompt, null, greedy, null).finishReasons()[0]);
        }
    }

    @Test
    void nucleusKeepsSmallestSetReachingTopP() {
        double[] p = {0.1, 0.5, 0.3, 0.1};
        Sampler.nucleus(p, 0.7);
        assertArrayEquals(new double[] {0, 0.5, 0.3, 0}, p);
        double[] q = {0.9, 0.1};
        Sampler.nucleus(q, 0.5);
        assertArrayEquals(new double[] {0.9, 0}, q);
    }
}
