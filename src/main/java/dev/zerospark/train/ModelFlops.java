package dev.zerospark.train;

import dev.zerospark.model.LlamaConfig;
import dev.zerospark.model.ModelConfig;
import dev.zerospark.model.ModelLoader;
import dev.zerospark.model.TensorSpec;

/**
 * The one model-FLOPs-utilization formula of the project: {@code bench train-step}, {@code bench train} and the
 * trainer's {@code metrics.jsonl} all count a step's FLOPs here and divide by the same matmul probe
 * ({@link MatmulRate}), so their MFU figures compare.
 */
public final class ModelFlops {
    private ModelFlops() {}

    /**
     * Model FLOPs of one training step (forward + backward) over {@code sequences} sequences of {@code seq} tokens:
     * 6 per weight-matmul parameter per token (the LM head counted once, tied or not; embedding lookups excluded)
     * plus 12 L T C per token for the attention score and value matmuls (PaLM's appendix B accounting).
     */
    public static double perStep(ModelConfig c, long sequences, int seq) {
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
        double tokens = (double) sequences * seq;
        return 6.0 * matmulParams * tokens + 12.0 * c.numLayers() * attnWidth * seq * tokens;
    }

    /** Achieved FLOP/s over the peak: {@code flops} done in {@code seconds} against {@code peakFlopsPerSecond}. */
    public static double mfu(double flops, double seconds, double peakFlopsPerSecond) {
        if (!(seconds > 0) || !(peakFlopsPerSecond > 0)) {
            throw new IllegalArgumentException("MFU needs a positive time and peak, got " + seconds + " s and "
                    + peakFlopsPerSecond + " FLOP/s");
        }
        return flops / seconds / peakFlopsPerSecond;
    }
}
