package dev.zerospark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.model.AttentionMasks;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.HfConfigs;
import dev.zerospark.model.ModelConfig;
import dev.zerospark.model.RandomInit;
import dev.zerospark.optim.AdamW;
import dev.zerospark.optim.AdamWConfig;
import java.util.Random;

/**
 * Times one training step (forward + backward through {@link TrainableModel}, then AdamW on the flat buffer) of
 * a randomly initialised GPT-2, and the fp32 matmul rate of this machine for an MFU figure. The Python/PyTorch
 * eager comparison lives with the CLI (bench train-step).
 */
public final class TrainStepBench {
    /** Model and batch shape; defaults: GPT-2, 4 layers, d=256, 4 heads, vocab 8192, seq 256, batch 8. */
    public record Options(int layers, int dModel, int heads, int vocab, int seq, int batch, int warmup, int steps) {
        public static Options defaults() {
            return new Options(4, 256, 4, 8192, 256, 8, 1, 3);
        }
    }

    /**
     * Mean times in milliseconds: {@code forwardMs} is a separate no-grad forward, {@code forwardBackwardMs} the
     * training forward + backward + gradient copy-out, {@code optimizerMs} AdamW + writing weights back.
     */
    public record Result(Options options, long params, double forwardMs, double forwardBackwardMs,
                         double optimizerMs, double stepMs, double tokensPerSecond, double flopsPerStep,
                         double matmulGflops, double mfu, int threads) {}

    private TrainStepBench() {}

    public static ModelConfig gpt2Config(Options o) {
        ObjectNode j = new ObjectMapper().createObjectNode();
        j.put("model_type", "gpt2").put("vocab_size", o.vocab()).put("n_embd", o.dModel()).put("n_layer", o.layers())
                .put("n_head", o.heads()).put("n_positions", Math.max(1024, o.seq())).put("tie_word_embeddings", true)
                .put("activation_function", "gelu_new");
        return HfConfigs.parse(j);
    }

    public static Result run(Options o) {
        Random r = new Random(0);
        int[][] batch = new int[o.batch()][o.seq()];
        for (int[] row : batch) {
            for (int t = 0; t < row.length; t++) {
                row[t] = r.nextInt(o.vocab());
            }
        }
        try (NDManager root = NDManager.newBaseManager("PyTorch")) {
            CausalLm model = RandomInit.create(gpt2Config(o), root, 0);
            try (DjlTrainableModel tm = TrainableModels.wrap(model, null)) {
                int n = Math.toIntExact(tm.numel());
                float[] params = new float[n];
                float[] grad = new float[n];
                float[] m = new float[n];
                float[] v = new float[n];
                tm.readParams(params);
                AdamWConfig cfg = new AdamWConfig(0.9, 0.95, 1e-8, 0.1);
                double fwd = 0;
                double fb = 0;
                double opt = 0;
                for (int i = 0; i < o.warmup() + o.steps(); i++) {
                    long t0 = System.nanoTime();
                    forwardOnly(model, batch);
                    long t1 = System.nanoTime();
                    java.util.Arrays.fill(grad, 0f);
                    tm.forwardBackward(batch, null, 1f / TrainableModel.countTargets(batch, null), grad);
                    long t2 = System.nanoTime();
                    for (ParamSpec s : tm.params()) {
                        AdamW.update(params, grad, m, v, (int) s.offset(), (int) s.numel(), i + 1, 1e-4, cfg, s.decay());
                    }
                    tm.writeParams(params);
                    long t3 = System.nanoTime();
                    if (i >= o.warmup()) {
                        fwd += (t1 - t0) / 1e6;
                        fb += (t2 - t1) / 1e6;
                        opt += (t3 - t2) / 1e6;
                    }
                }
                fwd /= o.steps();
                fb /= o.steps();
                opt /= o.steps();
                double stepMs = fb + opt;
                long tokens = (long) o.batch() * o.seq();
                long nonEmbedding = n - (long) o.vocab() * o.dModel() - (long) Math.max(1024, o.seq()) * o.dModel();
                // 6 N per token for the weight matmuls (LM head included via the tied embedding) + attention
                double flops = 6.0 * (nonEmbedding + (long) o.vocab() * o.dModel()) * tokens
                        + 12.0 * o.layers() * o.dModel() * (double) o.seq() * tokens;
                double gflops = matmulGflops(root);
                double achieved = flops / (stepMs / 1e3) / 1e9;
                return new Result(o, n, fwd, fb, opt, stepMs, tokens / (stepMs / 1e3), flops, gflops,
                        achieved / gflops, threads());
            }
        }
    }

    private static void forwardOnly(CausalLm model, int[][] batch) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager m = model.parameters().manager().newSubManager()) {
            int b = batch.length;
            int t = batch[0].length;
            NDArray ids = m.create(batch).toType(ai.djl.ndarray.types.DataType.INT64, false);
            model.forward(ids, m.create(AttentionMasks.positionIds(null, b, t, 0)),
                    AttentionMasks.allowed(m, null, b, t, 0), null);
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /** Best of a few 1024^3 fp32 matmuls, in GFLOP/s. */
    public static double matmulGflops(NDManager parent) {
        try (NDManager m = parent.newSubManager()) {
            int size = 1024;
            NDArray a = m.randomNormal(new ai.djl.ndarray.types.Shape(size, size));
            NDArray b = m.randomNormal(new ai.djl.ndarray.types.Shape(size, size));
            a.matMul(b).close();
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                NDArray c = a.matMul(b);
                c.toFloatArray(); // forces completion; PyTorch CPU ops are synchronous anyway
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                c.close();
            }
            return 2.0 * size * size * size / best / 1e9;
        }
    }

    /** PyTorch intra-op threads (what the eager comparison must match). */
    public static int threads() {
        return JniUtils.getNumThreads();
    }
}
