package dev.zerospark.zero;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.zerospark.collective.CollectiveConfig;
import dev.zerospark.collective.LocalRanks;
import dev.zerospark.model.AttentionMasks;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.ModelConfig;
import dev.zerospark.model.GradMode;
import dev.zerospark.model.RandomInit;
import dev.zerospark.optim.AdamWConfig;
import dev.zerospark.train.DjlTrainableModel;
import dev.zerospark.train.MatmulRate;
import dev.zerospark.train.ModelFlops;
import dev.zerospark.model.Precision;
import dev.zerospark.train.TrainDevice;
import dev.zerospark.train.TrainStepBench;
import dev.zerospark.train.TrainableModels;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;
import java.util.Random;

/**
 * {@code bench train-step}'s timed part: the trainer's own {@link TrainStep} (forward + backward into the model's
 * gradient tensors, reduction through the bucket, clipping, tensor AdamW, in-place weight update) at world size 1
 * with ZeRO's default stage, on the model and batch {@link TrainStepBench.Options} describe.
 */
public final class TrainStepBenchmark {
    private static final AdamWConfig ADAMW = new AdamWConfig(0.9, 0.95, 1e-8, 0.1);

    private TrainStepBenchmark() {}

    public static TrainStepBench.Result run(TrainStepBench.Options o) {
        return run(o, Device.cpu());
    }

    /** {@link #run(TrainStepBench.Options)} with the model and the matmul probe on {@code device} ({@link TrainDevice}). */
    public static TrainStepBench.Result run(TrainStepBench.Options o, Device device) {
        return run(o, device, Precision.FP32);
    }

    /**
     * {@link #run(TrainStepBench.Options, Device)} with the model in {@code precision} (bf16/fp16 mixed precision,
     * fp32 master weights and AdamW). The model is cast at its first training step, so the first warmup step's
     * separate forward still runs in fp32: give bf16/fp16 at least one warmup step.
     */
    public static TrainStepBench.Result run(TrainStepBench.Options o, Device device, Precision precision) {
        // OpenMP's thread count is per calling thread: the rank thread takes the caller's.
        int threads = TrainStepBench.threads();
        return LocalRanks.run(1, CollectiveConfig.loopback(Duration.ofMinutes(10)), c -> {
            TrainStepBench.setThreads(threads);
            Random r = new Random(0);
            int[][] batch = new int[o.batch()][o.seq()];
            for (int[] row : batch) {
                for (int t = 0; t < row.length; t++) {
                    row[t] = r.nextInt(o.vocab());
                }
            }
            try (NDManager root = NDManager.newBaseManager(device, "PyTorch")) {
                ModelConfig config = TrainStepBench.config(o);
                CausalLm model = RandomInit.create(config, root, 0);
                try (DjlTrainableModel tm = TrainableModels.wrap(model, null, false, precision);
                     ZeroOptimizer zero = ZeroOptimizer.create(c, PartitionLayout.of(
                             TrainingVerifier.flatParams(tm.params()), 1, 2), ZeroStage.STAGE_2, ADAMW, 1.0,
                             ZeroOptimizer.MAX_BUCKET_ELEMENTS, null, tm, false)) {
                    TrainStep step = new TrainStep(c, tm, zero);
                    String probed = tm.params().stream()
                            .filter(p -> model.parameters().spec(p.name()).shape().length == 2)
                            .findFirst().orElseThrow().name();
                    float[] before = firstRow(model, probed);
                    List<TrainStep.MicroBatch> micro = List.of(new TrainStep.MicroBatch(batch, null));
                    double fwd = 0;
                    double fb = 0;
                    double opt = 0;
                    double cpu = 0;
                    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
                    for (int i = 0; i < o.warmup() + o.steps(); i++) {
                        long t0 = System.nanoTime();
                        forwardOnly(model, batch);
                        long t1 = System.nanoTime();
                        long c1 = mx.getCurrentThreadCpuTime();
                        TrainStep.Result result = step.run(micro, 1e-4);
                        long c3 = mx.getCurrentThreadCpuTime();
                        if (i >= o.warmup()) {
                            fwd += (t1 - t0) / 1e6;
                            fb += result.computeSeconds() * 1e3;
                            opt += result.optimizerSeconds() * 1e3;
                            cpu += (c3 - c1) / 1e6;
                        }
                    }
                    fwd /= o.steps();
                    fb /= o.steps();
                    opt /= o.steps();
                    cpu /= o.steps();
                    double stepMs = fb + opt;
                    long tokens = (long) o.batch() * o.seq();
                    double flops = ModelFlops.perStep(config, o.batch(), o.seq());
                    double gflops = MatmulRate.gflops(root);
                    float[] after = firstRow(model, probed);
                    double change = 0;
                    for (int i = 0; i < before.length; i++) {
                        change = Math.max(change, Math.abs((double) after[i] - before[i]));
                    }
                    String on = model.parameters().get(probed).getDevice().toString();
                    return new TrainStepBench.Result(o, tm.numel(), fwd, fb, opt, stepMs, tokens / (stepMs / 1e3),
                            flops, gflops, ModelFlops.mfu(flops, stepMs / 1e3, gflops * 1e9), TrainStepBench.threads(),
                            cpu, new TrainStepBench.WeightCheck(on, probed, change));
                }
            }
        }).get(0);
    }

    /** Row 0 of a weight matrix, copied from wherever the model's tensor lives (a GPU's memory included). */
    private static float[] firstRow(CausalLm model, String name) {
        try (NDArray row = model.parameters().get(name).get(0);
             NDArray f = row.toType(ai.djl.ndarray.types.DataType.FLOAT32, false)) { // bf16/fp16 widen exactly
            return f.toFloatArray();
        }
    }

    private static void forwardOnly(CausalLm model, int[][] batch) {
        try (GradMode off = GradMode.off(); NDManager m = model.parameters().manager().newSubManager()) {
            int b = batch.length;
            int t = batch[0].length;
            NDArray ids = m.create(batch).toType(DataType.INT64, false);
            model.forward(ids, m.create(AttentionMasks.positionIds(null, b, t, 0)),
                    AttentionMasks.allowed(m, null, b, t, 0), null);
        }
    }
}
