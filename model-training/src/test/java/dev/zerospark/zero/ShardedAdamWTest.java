package dev.zerospark.zero;

import ai.djl.ndarray.NDManager;
import dev.zerospark.flat.FlatFloats;
import dev.zerospark.optim.AdamW;
import dev.zerospark.optim.AdamWConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The shards of N ranks together, as tensor ops, do bitwise what the per-parameter Java AdamW kernel does. */
class ShardedAdamWTest {

    /** The fused pass over the tensors' CPU memory (what runs on the CPU). */
    @ParameterizedTest(name = "N={0}")
    @ValueSource(ints = {1, 2, 3, 4})
    void shardedUpdatesEqualUnshardedAdamWBitwise(int worldSize) {
        check(worldSize, false);
    }

    /** The chain of tensor ops (what runs on a GPU), run here on CPU tensors. */
    @ParameterizedTest(name = "N={0}")
    @ValueSource(ints = {1, 2, 3, 4})
    void tensorOpUpdatesEqualUnshardedAdamWBitwise(int worldSize) {
        check(worldSize, true);
    }

    private static void check(int worldSize, boolean tensorOps) {
        Random random = new Random(11 + worldSize);
        List<FlatParam> params = PartitionLayoutTest.randomParams(random, 10);
        PartitionLayout layout = PartitionLayout.of(params, worldSize, 2 * worldSize);
        AdamWConfig config = new AdamWConfig(0.9, 0.95, 1e-8, 0.1);
        int numel = (int) layout.numel();
        float[] reference = new float[numel];
        for (int i = 0; i < numel; i++) {
            reference[i] = (float) random.nextGaussian();
        }
        float[] m = new float[numel];
        float[] v = new float[numel];
        float[] sharded = java.util.Arrays.copyOf(reference, (int) layout.paddedNumel());
        FlatFloats flat = FlatFloats.wrap(sharded);
        ShardedAdamW[] shards = new ShardedAdamW[worldSize];
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
        for (int r = 0; r < worldSize; r++) {
            shards[r] = ShardedAdamW.forRange(layout, layout.shardOffset(r), layout.shardSize(), config, manager,
                    tensorOps);
            shards[r].loadMaster(flat);
        }
        for (int step = 1; step <= 5; step++) {
            float[] grad = new float[(int) layout.paddedNumel()];
            for (int i = 0; i < numel; i++) {
                grad[i] = (float) (random.nextGaussian() * 1e-2);
            }
            double lr = 1e-3 * step;
            for (FlatParam p : params) {
                AdamW.update(reference, grad, m, v, (int) p.offset(), (int) p.numel(), step, lr, config, p.decay());
            }
            for (int r = 0; r < worldSize; r++) {
                float[] shardGrad = java.util.Arrays.copyOfRange(grad, (int) layout.shardOffset(r),
                        (int) (layout.shardOffset(r) + layout.shardSize()));
                shards[r].step(manager.create(shardGrad), step, lr);
                shards[r].storeMaster(flat);
            }
            assertArrayEquals(reference, java.util.Arrays.copyOf(sharded, numel), "step " + step);
        }
        float[] shardedM = new float[(int) layout.paddedNumel()];
        float[] shardedV = new float[(int) layout.paddedNumel()];
        for (int r = 0; r < worldSize; r++) {
            int size = (int) layout.shardSize();
            shards[r].read(ShardedAdamW.State.EXP_AVG, 0, shardedM, (int) layout.shardOffset(r), size);
            shards[r].read(ShardedAdamW.State.EXP_AVG_SQ, 0, shardedV, (int) layout.shardOffset(r), size);
        }
        assertArrayEquals(m, java.util.Arrays.copyOf(shardedM, numel));
        assertArrayEquals(v, java.util.Arrays.copyOf(shardedV, numel));
        }
    }
}
