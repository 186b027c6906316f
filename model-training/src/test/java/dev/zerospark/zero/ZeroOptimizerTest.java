package dev.zerospark.zero;

import dev.zerospark.collective.CollectiveConfig;
import dev.zerospark.collective.TestRing;
import dev.zerospark.optim.AdamW;
import dev.zerospark.optim.AdamWConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ZeRO stages 0/1/2 over real TCP rings against single-process AdamW on the summed gradients. */
class ZeroOptimizerTest {
    private static final CollectiveConfig RING = CollectiveConfig.loopback(Duration.ofSeconds(20)).withChunkBytes(4096);
    private static final AdamWConfig ADAMW = new AdamWConfig(0.9, 0.95, 1e-8, 0.1);
    private static final List<FlatParam> PARAMS = List.of(
            FlatParam.ofShape("wte", 0, new long[] {37, 8}),
            FlatParam.ofShape("ln.weight", 296, new long[] {8}),
            FlatParam.ofShape("ln.bias", 304, new long[] {8}),
            FlatParam.ofShape("mlp.weight", 312, new long[] {8, 29}),
            FlatParam.ofShape("mlp.bias", 544, new long[] {29}));
    private static final int NUMEL = 573;
    private static final int STEPS = 4;

    static float[] initialParams() {
        Random random = new Random(5);
        float[] p = new float[NUMEL];
        for (int i = 0; i < NUMEL; i++) {
            p[i] = (float) (random.nextGaussian() * 0.5);
        }
        return p;
    }

    /** Rank r's gradient contribution for (step, micro-batch); large enough that clipping kicks in. */
    static float[] gradient(int rank, int step, int micro) {
        Random random = new Random(1_000_003L * rank + 1009L * step + micro);
        float[] g = new float[NUMEL];
        for (int i = 0; i < NUMEL; i++) {
            g[i] = (float) (random.nextGaussian() * 0.05);
        }
        return g;
    }

    static double lr(int step) {
        return 1e-2 / step;
    }

    /** One process, per-parameter AdamW, gradients summed in double, torch clipping. */
    static float[] reference(int worldSize, int microBatches, double maxNorm) {
        float[] p = initialParams();
        float[] m = new float[NUMEL];
        float[] v = new float[NUMEL];
        for (int step = 1; step <= STEPS; step++) {
            double[] sum = new double[NUMEL];
            for (int r = 0; r < worldSize; r++) {
                for (int mb = 0; mb < microBatches; mb++) {
                    float[] g = gradient(r, step, mb);
                    for (int i = 0; i < NUMEL; i++) {
                        sum[i] += g[i];
                    }
                }
            }
            float[] g = new float[NUMEL];
            double sq = 0;
            for (int i = 0; i < NUMEL; i++) {
                g[i] = (float) sum[i];
                sq += (double) g[i] * g[i];
            }
            float coef = (float) maxNorm / ((float) Math.sqrt(sq) + 1e-6f);
            if (maxNorm > 0 && coef < 1f) {
                for (int i = 0; i < NUMEL; i++) {
                    g[i] *= coef;
                }
            }
            for (FlatParam fp : PARAMS) {
                AdamW.update(p, g, m, v, (int) fp.offset(), (int) fp.numel(), step, lr(step), ADAMW, fp.decay());
            }
        }
        return p;
    }

    static List<float[]> train(int worldSize, ZeroStage stage, int microBatches, double maxNorm, int bucket) {
        return train(worldSize, stage, microBatches, maxNorm, bucket, false);
    }

    static List<float[]> train(int worldSize, ZeroStage stage, int microBatches, double maxNorm, int bucket,
                               boolean offload) {
        return TestRing.run(worldSize, RING, c -> {
            PartitionLayout layout = PartitionLayout.of(PARAMS, worldSize, 4);
            try (TensorWeights model = TensorWeights.of(PARAMS, initialParams());
                 ZeroOptimizer zero = ZeroOptimizer.create(c, layout, stage, ADAMW, maxNorm, bucket, null, model,
                         offload)) {
            assertEquals(ZeroMemory.plan(layout, stage, bucket), zero.memory());
            for (int step = 1; step <= STEPS; step++) {
                for (int mb = 0; mb < microBatches; mb++) {
                    model.addGradient(gradient(c.rank(), step, mb));
                    zero.accumulate();
                }
                ZeroOptimizer.StepResult result = zero.step(lr(step));
                assertEquals(step, result.step());
                assertFalse(result.skipped());
                if (maxNorm > 0) {
                    assertTrue(result.clipCoef() < 1f, "test gradients are meant to be clipped: " + result);
                }
            }
            return model.read();
            }
        });
    }

    static Stream<Arguments> worldsAndStages() {
        return Stream.of(1, 2, 4).flatMap(n -> Stream.of(ZeroStage.values()).map(s -> Arguments.of(n, s)));
    }

    @ParameterizedTest(name = "N={0} {1}")
    @MethodSource("worldsAndStages")
    void everyStageMatchesSingleProcessAdamWAndAllRanksAgreeBitwise(int worldSize, ZeroStage stage) {
        List<float[]> perRank = train(worldSize, stage, 2, 0.5, 64);
        float[] expected = reference(worldSize, 2, 0.5);
        for (int r = 0; r < worldSize; r++) {
            assertArrayEquals(perRank.get(0), perRank.get(r), "rank " + r + " differs from rank 0");
            for (int i = 0; i < NUMEL; i++) {
                assertEquals(expected[i], perRank.get(r)[i], 2e-6, "element " + i + " rank " + r);
            }
        }
    }

    @Test
    void withOneMicroBatchAllStagesAndBucketSizesGiveTheSameBits() {
        for (int n : new int[] {2, 4}) {
            float[] stage0 = train(n, ZeroStage.STAGE_0, 1, 0.5, 1 << 20).get(0);
            assertArrayEquals(stage0, train(n, ZeroStage.STAGE_1, 1, 0.5, 16).get(n - 1), "stage 1, N=" + n);
            assertArrayEquals(stage0, train(n, ZeroStage.STAGE_2, 1, 0.5, 7).get(1), "stage 2, N=" + n);
        }
    }

    /** The optimizer state in host memory (offload_optimizer: cpu) gives the same bits. */
    @Test
    void offloadedOptimizerStateGivesTheSameBits() {
        for (ZeroStage stage : ZeroStage.values()) {
            assertArrayEquals(train(2, stage, 2, 0.5, 64).get(1), train(2, stage, 2, 0.5, 64, true).get(1),
                    stage.toString());
        }
    }

    /**
     * The fp32 reduced gradients exist only from a step's first reduction to its AdamW update, so they never sit
     * beside a forward and backward's activations (but across stage 2's later micro-batches, which add into them).
     */
    @Test
    void reducedGradientsAreHeldOnlyFromTheFirstReductionToTheUpdate() {
        for (ZeroStage stage : ZeroStage.values()) {
            TestRing.run(2, RING, c -> {
                PartitionLayout layout = PartitionLayout.of(PARAMS, 2, 4);
                try (TensorWeights model = TensorWeights.of(PARAMS, initialParams());
                     ZeroOptimizer zero = ZeroOptimizer.create(c, layout, stage, ADAMW, 0.5, 64, null, model, false)) {
                    long shardBytes = 4 * zero.adam().length();
                    assertEquals(shardBytes, zero.memory().gradients(), "counted at their size during a step");
                    for (int step = 1; step <= 2; step++) {
                        for (int mb = 0; mb < 3; mb++) {
                            // Here a forward and backward would run.
                            long held = zero.reducedGradientBytesHeld();
                            assertEquals(stage.partitionsGradients() && mb > 0 ? shardBytes : 0, held,
                                    stage + " step " + step + " before micro-batch " + mb);
                            model.addGradient(gradient(c.rank(), step, mb));
                            zero.accumulate();
                        }
                        zero.step(lr(step));
                        assertEquals(0, zero.reducedGradientBytesHeld(), stage + " after step " + step);
                    }
                    return null;
                }
            });
        }
    }

    /** Without accumulate() a ZeRO-2 step has no reduced gradients to apply: a clear error, not stale values. */
    @Test
    void aZeroTwoStepWithoutReducedGradientsIsRefused() {
        TestRing.run(1, RING, c -> {
            try (TensorWeights model = TensorWeights.of(PARAMS, initialParams());
                 ZeroOptimizer zero = ZeroOptimizer.create(c, PartitionLayout.of(PARAMS, 1, 4), ZeroStage.STAGE_2,
                         ADAMW, 0.5, 64, null, model, false)) {
                IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                        () -> zero.step(1e-2));
                assertTrue(e.getMessage().contains("step 1 has no reduced gradients"), e.getMessage());
                return null;
            }
        });
    }

    /** Runs steps [from, to] of the synthetic run with one micro-batch. */
    private static void runSteps(ZeroOptimizer zero, TensorWeights model, int rank, int from, int to) {
        for (int step = from; step <= to; step++) {
            model.addGradient(gradient(rank, step, 0));
            zero.accumulate();
            zero.step(lr(step));
        }
    }

    @Test
    void resumingFromEachRanksStateContinuesBitwiseIdentically() {
        for (ZeroStage stage : ZeroStage.values()) {
            List<float[]> results = TestRing.run(4, RING, c -> {
                PartitionLayout layout = PartitionLayout.of(PARAMS, 4, 4);
                try (TensorWeights model = TensorWeights.of(PARAMS, initialParams());
                     ZeroOptimizer original = ZeroOptimizer.create(c, layout, stage, ADAMW, 0.5, 64, null, model, false);
                     TensorWeights fresh = TensorWeights.of(PARAMS, new float[NUMEL]);
                     // A fresh optimizer that starts from other weights must be fully overwritten by the restore.
                     ZeroOptimizer resumed = ZeroOptimizer.create(c, layout, stage, ADAMW, 0.5, 64, null, fresh, false)) {
                    runSteps(original, model, c.rank(), 1, 2);
                    int n = (int) original.adam().length();
                    float[][] saved = new float[3][n];
                    for (ShardedAdamW.State s : ShardedAdamW.State.values()) {
                        original.adam().read(s, 0, saved[s.ordinal()], 0, n);
                    }
                    runSteps(original, model, c.rank(), 3, 4);
                    assertEquals(2, resumed.restore(adam -> {
                        for (ShardedAdamW.State s : ShardedAdamW.State.values()) {
                            adam.write(s, 0, saved[s.ordinal()], 0, n);
                        }
                        return 2;
                    }));
                    runSteps(resumed, fresh, c.rank(), 3, 4);
                    assertEquals(4, resumed.stepsDone());
                    assertArrayEquals(model.read(), fresh.read(), stage + " rank " + c.rank());
                    return fresh.read();
                }
            });
            assertEquals(4, results.size());
        }
    }

    @Test
    void anOverflowOnOneRankMakesEveryRankSkipTheStep() {
        List<float[]> results = TestRing.run(2, RING, c -> {
            PartitionLayout layout = PartitionLayout.of(PARAMS, 2, 4);
            DynamicLossScaler scaler = new DynamicLossScaler(1024, 1000, 1, 1);
            try (TensorWeights model = TensorWeights.of(PARAMS, initialParams());
                 ZeroOptimizer zero = ZeroOptimizer.create(c, layout, ZeroStage.STAGE_2, ADAMW, 0, 1 << 20, scaler,
                         model, false)) {
                float[] g = gradient(c.rank(), 1, 0);
                float[] scaled = new float[NUMEL];
                for (int i = 0; i < NUMEL; i++) {
                    scaled[i] = (float) (g[i] * zero.lossScale());
                }
                if (c.rank() == 1) {
                    scaled[3] = Float.POSITIVE_INFINITY; // in rank 0's shard: only the flag tells rank 1
                }
                model.addGradient(scaled);
                zero.accumulate();
                ZeroOptimizer.StepResult skipped = zero.step(1e-2);
                assertTrue(skipped.skipped());
                assertEquals(0, skipped.step());
                assertEquals(512, zero.lossScale());
                assertArrayEquals(initialParams(), model.read());
                // The next, clean step is applied with gradients unscaled by the new scale.
                for (int i = 0; i < NUMEL; i++) {
                    scaled[i] = (float) (g[i] * zero.lossScale());
                }
                model.addGradient(scaled);
                zero.accumulate();
                ZeroOptimizer.StepResult applied = zero.step(1e-2);
                assertFalse(applied.skipped());
                assertEquals(1, applied.step());
                return model.read();
            }
        });
        float[] expected = initialParams();
        float[] m = new float[NUMEL];
        float[] v = new float[NUMEL];
        float[] sum = new float[NUMEL];
        for (int r = 0; r < 2; r++) {
            float[] g = gradient(r, 1, 0);
            for (int i = 0; i < NUMEL; i++) {
                sum[i] += g[i];
            }
        }
        for (FlatParam fp : PARAMS) {
            AdamW.update(expected, sum, m, v, (int) fp.offset(), (int) fp.numel(), 1, 1e-2, ADAMW, fp.decay());
        }
        for (float[] params : results) {
            for (int i = 0; i < NUMEL; i++) {
                assertEquals(expected[i], params[i], 1e-6, "element " + i);
            }
        }
    }
}
