package dev.zerospark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.model.AttentionMasks;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.HfConfigs;
import dev.zerospark.model.LlamaConfig;
import dev.zerospark.model.ModelConfig;
import dev.zerospark.model.ModelLoader;
import dev.zerospark.model.Precision;
import dev.zerospark.model.RandomInit;
import dev.zerospark.model.TensorSpec;
import dev.zerospark.optim.AdamW;
import dev.zerospark.optim.AdamWConfig;
import java.util.Random;

/**
 * Times one training step (forward + backward through {@link TrainableModel}, then AdamW on the flat buffer) of
 * a randomly initialised GPT-2 or Llama, and the fp32 matmul rate of this machine for an MFU figure. The Python/PyTorch
 * eager comparison lives with the CLI (bench train-step).
 */
public final class TrainStepBench {
    /**
     * Model and batch shape; defaults: GPT-2, 4 layers, d=256, 4 heads, vocab 8192, seq 256, batch 8.
     * {@code arch} is "gpt2" or "llama" (see {@link #config}).
     */
    public record Options(String arch, int layers, int dModel, int heads, int vocab, int seq, int batch, int warmup,
                          int steps) {
        public Options {
            if (!arch.equals("gpt2") && !arch.equals("llama")) {
                throw new IllegalArgumentException("arch must be gpt2 or llama, got " + arch);
            }
            if (dModel % heads != 0) {
                throw new IllegalArgumentException("d_model " + dModel + " is not divisible by heads " + heads);
            }
            if (seq < 2 || batch < 1 || layers < 1 || vocab < 1 || warmup < 0 || steps < 1) {
                throw new IllegalArgumentException("bench shape needs seq >= 2 and positive layers, vocab, batch, "
                        + "steps (warmup >= 0); got layers " + layers + ", vocab " + vocab + ", seq " + seq + ", batch "
                        + batch + ", warmup " + warmup + ", steps " + steps);
            }
        }

        /** A GPT-2 shape. */
        public Options(int layers, int dModel, int heads, int vocab, int seq, int batch, int warmup, int steps) {
            this("gpt2", layers, dModel, heads, vocab, seq, batch, warmup, steps);
        }

        public static Options defaults() {
            return new Options("gpt2", 4, 256, 4, 8192, 256, 8, 1, 3);
        }
    }

    /**
     * Mean times in milliseconds: {@code forwardMs} is a separate no-grad forward, {@code forwardBackwardMs} the
     * training forward + backward + gradient copy-out, {@code optimizerMs} AdamW + writing weights back.
     * {@code stepCpuMs} is the calling thread's CPU time for the step: with one intra-op thread every op runs on
     * that thread, so it measures the step's own work even on a machine shared with other load.
     */
    public record Result(Options options, long params, double forwardMs, double forwardBackwardMs,
                         double optimizerMs, double stepMs, double tokensPerSecond, double flopsPerStep,
                         double matmulGflops, double mfu, int threads, double stepCpuMs) {}

    private TrainStepBench() {}

    /** The benchmarked model: {@link #gpt2Config} or {@link #llamaConfig} by {@code o.arch()}. */
    public static ModelConfig config(Options o) {
        return o.arch().equals("llama") ? llamaConfig(o) : gpt2Config(o);
    }

    public static ModelConfig gpt2Config(Options o) {
        ObjectNode j = new ObjectMapper().createObjectNode();
        j.put("model_type", "gpt2").put("vocab_size", o.vocab()).put("n_embd", o.dModel()).put("n_layer", o.layers())
                .put("n_head", o.heads()).put("n_positions", Math.max(1024, o.seq())).put("tie_word_embeddings", true)
                .put("activation_function", "gelu_new");
        return HfConfigs.parse(j);
    }

    /**
     * Llama with MHA (kv heads = heads), untied LM head, and the SwiGLU width Llama uses: 8/3 d rounded up to a
     * multiple of 64, so its MLP costs about what GPT-2's 4d GELU MLP costs.
     */
    public static ModelConfig llamaConfig(Options o) {
        int inner = (8 * o.dModel() / 3 + 63) / 64 * 64;
        ObjectNode j = new ObjectMapper().createObjectNode();
        j.put("model_type", "llama").put("vocab_size", o.vocab()).put("hidden_size", o.dModel())
                .put("intermediate_size", inner).put("num_hidden_layers", o.layers())
                .put("num_attention_heads", o.heads()).put("num_key_value_heads", o.heads())
                .put("max_position_embeddings", Math.max(1024, o.seq())).put("rms_norm_eps", 1e-5)
                .put("rope_theta", 10000.0).put("tie_word_embeddings", false).put("hidden_act", "silu");
        return HfConfigs.parse(j);
    }

    /**
     * Model FLOPs of one training step: 6 per weight-matmul parameter per token (the LM head counted once, tied
     * or not; embedding lookups excluded) plus 12 L T C per token for the attention score and value matmuls.
     */
    public static double flopsPerStep(ModelConfig c, int batch, int seq) {
        long matmulParams = 0;
        for (TensorSpec s : ModelLoader.specs(c)) {
            boolean embedding = s.name().endsWith("wte.weight") || s.name().endsWith("wpe.weight")
                    || s.name().endsWith("embed_tokens.weight");
            if (s.shape().length >= 2 && !embedding) {
                matmulParams += s.numel();
            }
        }
        if (c.tieWordEmbeddings()) {
            matmulParams += (long) c.vocabSize() * c.hiddenSize();
        }
        long attnWidth = c instanceof LlamaConfig l ? (long) l.numHeads() * l.headDim() : c.hiddenSize();
        double tokens = (double) batch * seq;
        return 6.0 * matmulParams * tokens + 12.0 * c.numLayers() * attnWidth * seq * tokens;
    }

    public static Result run(Options o) {
        return run(o, Precision.FP32);
    }

    /**
     * {@link #run(Options)} with the model in {@code precision} (bf16/fp16 mixed precision: the flat arrays are the
     * fp32 master weights and gradients). The model is cast at its first training step, so the first warmup step's
     * separate forward still runs in fp32: give bf16/fp16 at least one warmup step.
     */
    public static Result run(Options o, Precision precision) {
        Random r = new Random(0);
        int[][] batch = new int[o.batch()][o.seq()];
        for (int[] row : batch) {
            for (int t = 0; t < row.length; t++) {
                row[t] = r.nextInt(o.vocab());
            }
        }
        try (NDManager root = NDManager.newBaseManager("PyTorch")) {
            ModelConfig config = config(o);
            CausalLm model = RandomInit.create(config, root, 0);
            try (DjlTrainableModel tm = TrainableModels.wrap(model, null, false, precision)) {
                int n = TrainableModels.flatArrayLength("bench train-step", tm.numel());
                float[] params = new float[n];
                float[] grad = new float[n];
                float[] m = new float[n];
                float[] v = new float[n];
                tm.readParams(params);
                AdamWConfig cfg = new AdamWConfig(0.9, 0.95, 1e-8, 0.1);
                double fwd = 0;
                double fb = 0;
                double opt = 0;
                double cpu = 0;
                java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
                for (int i = 0; i < o.warmup() + o.steps(); i++) {
                    long t0 = System.nanoTime();
                    forwardOnly(model, batch);
                    long t1 = System.nanoTime();
                    long c1 = mx.getCurrentThreadCpuTime();
                    java.util.Arrays.fill(grad, 0f);
                    tm.forwardBackward(batch, null, 1f / TrainableModel.countTargets(batch, null), grad);
                    long t2 = System.nanoTime();
                    for (ParamSpec s : tm.params()) {
                        AdamW.update(params, grad, m, v, (int) s.offset(), (int) s.numel(), i + 1, 1e-4, cfg, s.decay());
                    }
                    tm.writeParams(params);
                    long t3 = System.nanoTime();
                    long c3 = mx.getCurrentThreadCpuTime();
                    if (i >= o.warmup()) {
                        fwd += (t1 - t0) / 1e6;
                        fb += (t2 - t1) / 1e6;
                        opt += (t3 - t2) / 1e6;
                        cpu += (c3 - c1) / 1e6;
                    }
                }
                fwd /= o.steps();
                fb /= o.steps();
                opt /= o.steps();
                cpu /= o.steps();
                double stepMs = fb + opt;
                long tokens = (long) o.batch() * o.seq();
                double flops = flopsPerStep(config, o.batch(), o.seq());
                double gflops = matmulGflops(root);
                double achieved = flops / (stepMs / 1e3) / 1e9;
                return new Result(o, n, fwd, fb, opt, stepMs, tokens / (stepMs / 1e3), flops, gflops,
                        achieved / gflops, threads(), cpu);
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

    /** Sets PyTorch's intra-op thread count for this process (what the eager comparison is run with). */
    public static void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        ai.djl.engine.Engine.getEngine("PyTorch"); // loads libtorch before the first JNI call
        JniUtils.setNumThreads(threads);
    }

    /** PyTorch intra-op threads (what the eager comparison must match). */
    public static int threads() {
        ai.djl.engine.Engine.getEngine("PyTorch"); // loads libtorch before the first JNI call
        return JniUtils.getNumThreads();
    }
}
