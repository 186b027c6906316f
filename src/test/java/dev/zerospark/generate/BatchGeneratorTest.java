package dev.zerospark.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.zerospark.model.BlockForward;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.KvCache;
import dev.zerospark.model.ModelConfig;
import dev.zerospark.model.ModelLoader;
import dev.zerospark.model.Parameters;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.tokenizer.HfTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Determinism of batched generation: a row's tokens do not depend on its batch, and one decoding path serves all. */
class BatchGeneratorTest {
    private static final int NEW_TOKENS = 16;
    /** Longest prompt: with NEW_TOKENS it fits the fixtures' 64-position context. */
    private static final int LONGEST = 40;

    /** 16 prompts of mixed lengths (3..40 tokens), seeded, each with its own row seed. */
    private static List<BatchGenerator.Row> prompts(int vocab) {
        Random r = new Random(11);
        List<BatchGenerator.Row> rows = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            int len = i == 0 ? LONGEST : 3 + r.nextInt(LONGEST - 3);
            int[] p = new int[len];
            for (int j = 0; j < len; j++) {
                p[j] = 2 + r.nextInt(vocab - 2);
            }
            rows.add(new BatchGenerator.Row(p, BatchGenerator.rowSeed(7, "article-" + i)));
        }
        return rows;
    }

    private static GenerationOptions options(double temperature, int topK, double topP, List<Integer> eos) {
        return new GenerationOptions(NEW_TOKENS, temperature, topK, topP, 0, eos, 1, List.of());
    }

    /** EOS ids that end some rows early: an early token of a few rows' unconstrained output. */
    private static List<Integer> earlyEos(List<BatchGenerator.Output> free) {
        return List.of(free.get(1).tokens()[2], free.get(6).tokens()[5], free.get(11).tokens()[9]);
    }

    /** Each row alone, the 16 in one batch, and the 16 in batches of at most 3 rows give the same tokens. */
    private static void assertSameAloneAndBatched(CausalLm model, GenerationOptions o) {
        List<BatchGenerator.Row> rows = prompts(model.config().vocabSize());
        BatchGenerator gen = new BatchGenerator(model);
        List<BatchGenerator.Output> one = gen.generate(rows, o, Long.MAX_VALUE, null);
        List<BatchGenerator.Output> several = gen.generate(rows, o, 3L * (LONGEST + NEW_TOKENS), null);
        int early = 0;
        for (int i = 0; i < rows.size(); i++) {
            BatchGenerator.Output alone = gen.generate(List.of(rows.get(i)), o, Long.MAX_VALUE, null).get(0);
            assertArrayEquals(alone.tokens(), one.get(i).tokens(), "row " + i + " alone vs in one batch of 16");
            assertArrayEquals(alone.tokens(), several.get(i).tokens(), "row " + i + " alone vs in batches of 3");
            assertEquals(alone.reason(), one.get(i).reason(), "row " + i);
            assertEquals(alone.reason(), several.get(i).reason(), "row " + i);
            early += alone.tokens().length < NEW_TOKENS ? 1 : 0;
        }
        // the batches must really lose rows midway, or the row dropping went untested
        assertTrue(early >= 2, early + " of 16 rows ended before max_new_tokens");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-llama"})
    void greedyRowIsTheSameAloneAndInMixedBatches(String fixture) throws Exception {
        try (NDManager root = NDManager.newBaseManager("PyTorch");
             CausalLm model = ModelLoader.load(TestPaths.fixture(fixture), root)) {
            BatchGenerator gen = new BatchGenerator(model);
            List<BatchGenerator.Output> free = gen.generate(prompts(model.config().vocabSize()),
                    options(0, 0, 1, List.of()), Long.MAX_VALUE, null);
            assertSameAloneAndBatched(model, options(0, 0, 1, earlyEos(free)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-llama"})
    void sampledRowIsTheSameAloneAndInMixedBatches(String fixture) throws Exception {
        try (NDManager root = NDManager.newBaseManager("PyTorch");
             CausalLm model = ModelLoader.load(TestPaths.fixture(fixture), root)) {
            BatchGenerator gen = new BatchGenerator(model);
            List<BatchGenerator.Output> free = gen.generate(prompts(model.config().vocabSize()),
                    options(1.3, 40, 0.9, List.of()), Long.MAX_VALUE, null);
            assertSameAloneAndBatched(model, options(1.3, 40, 0.9, earlyEos(free)));
            // and the row seeds matter: another run seed gives other tokens
            List<BatchGenerator.Row> reseeded = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                int[] p = prompts(model.config().vocabSize()).get(i).promptTokens();
                reseeded.add(new BatchGenerator.Row(p, BatchGenerator.rowSeed(8, "article-" + i)));
            }
            List<BatchGenerator.Output> other =
                    gen.generate(reseeded, options(1.3, 40, 0.9, List.of()), Long.MAX_VALUE, null);
            int differ = 0;
            for (int i = 0; i < 16; i++) {
                differ += Arrays.equals(free.get(i).tokens(), other.get(i).tokens()) ? 0 : 1;
            }
            assertTrue(differ > 8, differ + " of 16 rows changed with the seed");
        }
    }

    @Test
    void finishedRowsLeaveTheBatchAndSamplingRunsBatched() throws Exception {
        try (NDManager root = NDManager.newBaseManager("PyTorch");
             RecordingLm model = new RecordingLm(ModelLoader.load(TestPaths.fixture("tiny-llama"), root))) {
            List<BatchGenerator.Row> rows = prompts(model.config().vocabSize()).subList(0, 4);
            BatchGenerator gen = new BatchGenerator(model);
            GenerationOptions sample = options(1.3, 40, 0.9, List.of());
            List<BatchGenerator.Output> free = gen.generate(rows, sample, Long.MAX_VALUE, null);
            assertEquals(List.of(4L), model.batchSizes.stream().distinct().toList(),
                    "sampling runs the 4 rows together");
            assertEquals(0, model.fullForwards, "the prefill asks for the last position's logits only");

            // row 2 ends at its 3rd token, row 0 at its 6th: steps after that run 3 rows, then 2
            List<Integer> eos = List.of(free.get(2).tokens()[2], free.get(0).tokens()[5]);
            model.batchSizes.clear();
            List<BatchGenerator.Output> out = gen.generate(rows, options(1.3, 40, 0.9, eos), Long.MAX_VALUE, null);
            assertEquals(FinishReason.EOS, out.get(2).reason());
            int live = 4;
            for (int step = 0; step < model.batchSizes.size(); step++) {
                assertEquals(live, model.batchSizes.get(step), "rows fed at step " + step + ": " + model.batchSizes);
                for (BatchGenerator.Output o : out) {
                    live -= o.tokens().length == step + 1 && o.reason() == FinishReason.EOS ? 1 : 0;
                }
            }
            assertTrue(live < 4, "some row ended by EOS: " + model.batchSizes);
        }
    }

    @Test
    void greedyBatchOutputEqualsTextCompleter() throws Exception {
        List<String> texts = List.of("the cat sat on the mat", "hi", "a riddle: what has keys but no locks?",
                "once upon a time there was a very long prompt that went on and on", "x y z");
        try (TextCompleter completer = TextCompleter.open(TestPaths.fixture("tiny-gpt2"));
             HfTokenizer tok = HfTokenizer.load(TestPaths.fixture("tiny-gpt2"))) {
            GenerationOptions greedy = completer.options(12, 0, 0, 1, 0, List.of());
            List<BatchGenerator.Row> rows = new ArrayList<>();
            for (String t : texts) {
                rows.add(new BatchGenerator.Row(tok.encode(t), BatchGenerator.rowSeed(0, t)));
            }
            List<BatchGenerator.Output> batched =
                    new BatchGenerator(completer.model()).generate(rows, greedy, 2L * 40, null);
            for (int i = 0; i < texts.size(); i++) {
                TextCompleter.Completion alone = completer.complete(List.of(texts.get(i)), greedy).get(0);
                assertArrayEquals(alone.tokens(), batched.get(i).tokens(), texts.get(i));
                assertEquals(alone.finishReason(), batched.get(i).reason(), texts.get(i));
            }
        }
    }

    /** A real model that records the batch size of every generation step (a decorator, not a mock). */
    private static final class RecordingLm implements CausalLm {
        private final CausalLm inner;
        final List<Long> batchSizes = new ArrayList<>();
        int fullForwards;

        RecordingLm(CausalLm inner) {
            this.inner = inner;
        }

        @Override
        public ModelConfig config() {
            return inner.config();
        }

        @Override
        public Parameters parameters() {
            return inner.parameters();
        }

        @Override
        public NDArray forward(NDArray inputIds, NDArray positionIds, NDArray allowed, KvCache cache) {
            fullForwards++;
            return inner.forward(inputIds, positionIds, allowed, cache);
        }

        @Override
        public NDArray forwardLast(NDArray inputIds, NDArray positionIds, NDArray allowed, KvCache cache) {
            batchSizes.add(inputIds.getShape().get(0));
            return inner.forwardLast(inputIds, positionIds, allowed, cache);
        }

        @Override
        public BlockForward blocks(NDArray inputIds, NDArray positionIds, NDArray allowed) {
            return inner.blocks(inputIds, positionIds, allowed);
        }
    }
}
