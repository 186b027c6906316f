package dev.zerospark.train;

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
import dev.zerospark.model.Precision;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** train.activation_checkpointing: the same loss and gradients as a plain backward, by recomputing every block. */
class ActivationCheckpointingTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-llama"})
    void recomputingBlocksGivesTheSameLossAndGradientsBitForBit(String fixture) throws Exception {
        Path dir = TestPaths.fixture(fixture);
        Run plain = run(dir, false);
        Run recomputed = run(dir, true);

        // Bit for bit: the same ops on the same values, and each gradient a sum of the same terms (see BlockRecompute).
        assertEquals(plain.loss.sum(), recomputed.loss.sum(), 0.0, "loss sum");
        assertEquals(plain.loss.tokens(), recomputed.loss.tokens());
        assertArrayEquals(plain.grad, recomputed.grad, "gradients of every parameter");
        for (int i = 0; i < plain.grad.length; i++) {
            if (plain.grad[i] != 0f) return; // the comparison above compared real gradients, not two zero buffers
        }
        throw new AssertionError("all gradients are zero");
    }

    /** Mixed precision too: recomputed bf16 (fp16) blocks give the plain bf16 (fp16) loss and gradients. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-llama"})
    void recomputingHalfPrecisionBlocksGivesTheSameLossAndGradientsBitForBit(String fixture) throws Exception {
        Path dir = TestPaths.fixture(fixture);
        float[] fp32 = run(dir, false).grad;
        for (Precision p : new Precision[] {Precision.BF16, Precision.FP16}) {
            Run plain = run(dir, false, p);
            Run recomputed = run(dir, true, p);
            assertEquals(plain.loss.sum(), recomputed.loss.sum(), 0.0, p + " loss sum");
            assertArrayEquals(plain.grad, recomputed.grad, p + " gradients of every parameter");
            int differ = 0;
            for (int i = 0; i < fp32.length; i++) if (fp32[i] != plain.grad[i]) differ++;
            assertTrue(differ > fp32.length / 2, p + " gradients are not the fp32 ones: " + differ + " differ");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-llama"})
    void checkpointingRunsEveryBlockTwiceAndThePlainPathOnce(String fixture) throws Exception {
        Path dir = TestPaths.fixture(fixture);
        Run plain = run(dir, false);
        Run recomputed = run(dir, true);
        int layers = recomputed.layers;

        assertEquals(1, plain.counts.fullForwards, "plain training runs the model's forward once");
        assertEquals(0, plain.counts.blockForwards, "plain training does not cut the forward into blocks");
        assertEquals(0, recomputed.counts.fullForwards);
        assertEquals(2 * layers, recomputed.counts.blockForwards, "each block runs forward, then again in backward");
        assertEquals(1, recomputed.counts.embeds, "the embedding is not recomputed");
        assertEquals(1, recomputed.counts.heads, "the LM head is not recomputed");
    }

    private record Run(LossSum loss, float[] grad, Counts counts, int layers) {}

    /** One forward + backward on a fixed random batch of the fixture's vocabulary. */
    private static Run run(Path dir, boolean checkpointing) throws Exception {
        return run(dir, checkpointing, Precision.FP32);
    }

    private static Run run(Path dir, boolean checkpointing, Precision precision) throws Exception {
        NDManager root = NDManager.newBaseManager("PyTorch");
        CountingLm lm = new CountingLm(ModelLoader.load(dir, root));
        try (DjlTrainableModel m = TrainableModels.wrap(lm, root, checkpointing, precision)) {
            ModelConfig config = lm.config();
            Random random = new Random(7);
            int[][] ids = new int[2][24];
            for (int[] row : ids) {
                for (int t = 0; t < row.length; t++) row[t] = random.nextInt(config.vocabSize());
            }
            float[][] mask = new float[2][24];
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < 24; t++) mask[b][t] = (b + t) % 5 == 0 ? 0f : 1f;
            }
            float[] grad = new float[(int) m.numel()];
            LossSum loss = m.forwardBackward(ids, mask, 1f / 40, grad);
            return new Run(loss, grad, lm.counts, config.numLayers());
        }
    }

    private static final class Counts {
        int fullForwards;
        int embeds;
        int blockForwards;
        int heads;
    }

    /** A real model that counts its forward passes and block runs (a decorator, not a mock). */
    private static final class CountingLm implements CausalLm {
        private final CausalLm inner;
        final Counts counts = new Counts();

        CountingLm(CausalLm inner) {
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
            counts.fullForwards++;
            return inner.forward(inputIds, positionIds, allowed, cache);
        }

        @Override
        public NDArray forwardLast(NDArray inputIds, NDArray positionIds, NDArray allowed, KvCache cache) {
            return inner.forwardLast(inputIds, positionIds, allowed, cache);
        }

        @Override
        public BlockForward blocks(NDArray inputIds, NDArray positionIds, NDArray allowed) {
            BlockForward b = inner.blocks(inputIds, positionIds, allowed);
            return new BlockForward() {
                @Override
                public int numBlocks() {
                    return b.numBlocks();
                }

                @Override
                public NDArray embed() {
                    counts.embeds++;
                    return b.embed();
                }

                @Override
                public NDArray block(int layer, NDArray x) {
                    counts.blockForwards++;
                    return b.block(layer, x);
                }

                @Override
                public NDArray head(NDArray x) {
                    counts.heads++;
                    return b.head(x);
                }
            };
        }
    }
}
