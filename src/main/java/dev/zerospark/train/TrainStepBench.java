package dev.zerospark.train;

import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.model.HfConfigs;
import dev.zerospark.model.ModelConfig;

/**
 * The shape, model and figures of {@code bench train-step}: a randomly initialised GPT-2 or Llama ({@link ModelFlops}
 * counts its FLOPs, {@link MatmulRate} probes the matmul peak). The timed step itself is the trainer's own
 * ({@code dev.zerospark.zero.TrainStepBenchmark} in model-training, which runs {@code TrainStep}); the
 * Python/PyTorch eager comparison lives with the CLI (bench train-step).
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
     * training forward + backward, {@code optimizerMs} the gradient reduction, clipping, AdamW and in-place weight
     * update.
     * {@code stepCpuMs} is the calling thread's CPU time for the step: with one intra-op thread every op runs on
     * that thread, so it measures the step's own work even on a machine shared with other load.
     */
    public record Result(Options options, long params, double forwardMs, double forwardBackwardMs,
                         double optimizerMs, double stepMs, double tokensPerSecond, double flopsPerStep,
                         double matmulGflops, double mfu, int threads, double stepCpuMs, WeightCheck weights) {}

    /**
     * The first row of the first weight matrix, read back from the model's own tensor on {@code device} before the
     * first step and after the last: {@code maxChange} > 0 shows the optimizer's update reached the device's weights.
     */
    public record WeightCheck(String device, String tensor, double maxChange) {
        public boolean changed() {
            return maxChange > 0;
        }
    }

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
