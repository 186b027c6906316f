package dev.zerospark.zero;

import ai.djl.ndarray.NDManager;
import dev.zerospark.collective.CollectiveConfig;
import dev.zerospark.collective.LocalRanks;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.RandomInit;
import dev.zerospark.optim.AdamWConfig;
import dev.zerospark.train.DjlTrainableModel;
import dev.zerospark.train.TrainStepBench;
import dev.zerospark.train.TrainableModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * JVM heap does not grow with the model: a GPT-2 of 110M parameters (12 layers, d 768, vocab 32000) is randomly
 * initialised and takes one ZeRO optimizer step in a child JVM with a 128 MB heap, and its weights change in the
 * model's own tensors. That heap cannot hold the model's largest tensor as one fp32 array beside the rest (the 98 MB
 * embedding, which random init once built on the heap: it ran out of memory here); the float[] design (full
 * parameters + full gradients as Java arrays, 2 x 440 MB) cannot even build its optimizer there.
 */
class LargeModelHeapTest {
    private static final String HEAP = "128m";
    private static final TrainStepBench.Options SHAPE = new TrainStepBench.Options(12, 768, 12, 32000, 8, 1, 0, 1);

    @Test
    void aHundredMillionParameterModelTrainsInA128MbHeap(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + HEAP, "-XX:+ExitOnOutOfMemoryError"));
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(a -> a.startsWith("--add-")).forEach(cmd::add);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName()));
        Path log = dir.resolve("child.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(8, TimeUnit.MINUTES), "child training finished");
        String out = Files.readString(log);
        org.slf4j.LoggerFactory.getLogger(getClass()).info("child:\n{}", out);
        assertTrue(p.exitValue() == 0, out);
        assertTrue(out.contains("RESULT params=") && out.contains(" changed=true"), out);
        long params = Long.parseLong(out.replaceAll("(?s).*RESULT params=(\\d+).*", "$1"));
        assertTrue(params >= 100_000_000L, "model has " + params + " parameters");
    }

    /** The child: one training step of the big model at world size 1, ZeRO-2. */
    public static final class Child {
        public static void main(String[] args) {
            LocalRanks.run(1, CollectiveConfig.loopback(Duration.ofMinutes(5)), c -> {
                try (NDManager root = NDManager.newBaseManager("PyTorch")) {
                    CausalLm model = RandomInit.create(TrainStepBench.config(SHAPE), root, 0);
                    try (DjlTrainableModel tm = TrainableModels.wrap(model, null);
                         ZeroOptimizer zero = ZeroOptimizer.create(c, PartitionLayout.of(
                                 TrainingVerifier.flatParams(tm.params()), 1, 2), ZeroStage.STAGE_2,
                                 new AdamWConfig(0.9, 0.95, 1e-8, 0.1), 1.0, 1 << 24, null, tm, false)) {
                        float[] before = sample(tm);
                        int[][] batch = new int[SHAPE.batch()][SHAPE.seq()];
                        for (int t = 0; t < SHAPE.seq(); t++) batch[0][t] = (t * 7919) % SHAPE.vocab();
                        TrainStep.Result r = new TrainStep(c, tm, zero)
                                .run(List.of(new TrainStep.MicroBatch(batch, null)), 1e-3);
                        float[] after = sample(tm);
                        boolean changed = true;
                        for (int i = 0; i < before.length; i++) changed &= before[i] != after[i];
                        long heapPeak = 0;
                        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                            if (pool.getType() == MemoryType.HEAP) heapPeak += pool.getPeakUsage().getUsed();
                        }
                        System.out.println("RESULT params=" + tm.numel() + " loss=" + r.loss() + " grad_norm="
                                + r.gradNorm() + " changed=" + changed + " heap_peak_mb=" + (heapPeak >> 20)
                                + " optimizer_mb=" + (zero.memory().total() >> 20));
                    }
                }
                return null;
            });
        }

        /** The first 4 elements of every weight, read from the model's own tensors. */
        private static float[] sample(DjlTrainableModel tm) {
            float[] out = new float[4 * tm.params().size()];
            try (NDManager scope = NDManager.newBaseManager("PyTorch")) {
                for (int i = 0; i < tm.params().size(); i++) {
                    float[] v = tm.weight(i, scope).get("0:4").toFloatArray();
                    System.arraycopy(v, 0, out, 4 * i, 4);
                }
            }
            return out;
        }
    }
}
