package dev.zerospark.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.zerospark.model.AttentionMasks;
import dev.zerospark.model.Bf16;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.KvCache;
import dev.zerospark.model.GradMode;
import java.util.Arrays;
import java.util.function.Function;

/**
 * Batched autoregressive decoding with a preallocated KV cache. Prompts are left-padded (B, P) with an attention
 * mask, so every row's next token is at the same column; position ids follow the mask like HF's generate. The
 * prefill computes logits at the last position only. A row that finishes (EOS, stop string) leaves the batch: its
 * cache rows and mask are dropped, so later steps run only the live rows. Each row samples with its own seed.
 */
public final class Generator {
    private final CausalLm model;

    public Generator(CausalLm model) {
        this.model = model;
    }

    /**
     * Every row samples with {@code options.seed()}, so a row's output does not depend on the others.
     *
     * @param prompts (B, P) left-padded token ids
     * @param attentionMask (B, P), 1 for real tokens and 0 for left padding; null when nothing is padded
     * @param decoder turns a row's new tokens into text for stop strings; may be null without stop strings
     */
    public GenerationResult generate(int[][] prompts, int[][] attentionMask, GenerationOptions options,
                                     Function<int[], String> decoder) {
        long[] seeds = new long[prompts.length];
        Arrays.fill(seeds, options.seed());
        return generate(prompts, attentionMask, options, seeds, decoder);
    }

    /**
     * @param rowSeeds one sampler seed per row (ignored when greedy)
     * @see #generate(int[][], int[][], GenerationOptions, Function)
     */
    public GenerationResult generate(int[][] prompts, int[][] attentionMask, GenerationOptions options,
                                     long[] rowSeeds, Function<int[], String> decoder) {
        if (!options.stopStrings().isEmpty() && decoder == null) {
            throw new IllegalArgumentException("stop strings need a decoder");
        }
        int b = prompts.length;
        if (rowSeeds.length != b) {
            throw new IllegalArgumentException(rowSeeds.length + " row seeds for " + b + " prompts");
        }
        int p = prompts[0].length;
        int vocab = model.config().vocabSize();
        long[][] mask = new long[b][p];
        long[][] step = new long[b][];
        Sampler[] samplers = new Sampler[b];
        for (int r = 0; r < b; r++) {
            for (int t = 0; t < p; t++) {
                mask[r][t] = attentionMask == null ? 1 : attentionMask[r][t];
            }
            step[r] = Arrays.stream(prompts[r]).asLongStream().toArray();
            samplers[r] = new Sampler(options, rowSeeds[r]);
        }
        int[][] generated = new int[b][options.maxNewTokens()];
        int[] count = new int[b];
        FinishReason[] reasons = new FinishReason[b];
        int[] live = new int[b]; // batch slot -> original row
        for (int r = 0; r < b; r++) {
            live[r] = r;
        }
        // the last new token is never fed back, so P + N - 1 positions hold every key the rows will attend to
        try (GradMode off = GradMode.off(); KvCache cache = model.newCache(p + options.maxNewTokens() - 1)) {
            for (int n = 0; n < options.maxNewTokens(); n++) {
                float[] last = lastLogits(step, mask, cache); // (B_live, V)
                int[] keep = new int[live.length];
                int kept = 0;
                for (int s = 0; s < live.length; s++) {
                    int r = live[s];
                    int token = samplers[r].next(last, s * vocab, vocab);
                    generated[r][count[r]++] = token;
                    reasons[r] = finished(token, Arrays.copyOf(generated[r], count[r]), options, decoder);
                    if (reasons[r] == null) {
                        keep[kept++] = s;
                    }
                }
                if (kept == 0 || n == options.maxNewTokens() - 1) {
                    break;
                }
                if (kept < live.length) {
                    cache.keepRows(Arrays.stream(keep, 0, kept).asLongStream().toArray());
                }
                int[] nextLive = new int[kept];
                long[][] nextMask = new long[kept][];
                long[][] nextStep = new long[kept][];
                for (int j = 0; j < kept; j++) {
                    int s = keep[j];
                    nextLive[j] = live[s];
                    nextMask[j] = Arrays.copyOf(mask[s], mask[s].length + 1);
                    nextMask[j][mask[s].length] = 1;
                    nextStep[j] = new long[] {generated[live[s]][count[live[s]] - 1]};
                }
                live = nextLive;
                mask = nextMask;
                step = nextStep;
            }
        }
        return result(prompts, generated, count, reasons, options);
    }

    /** Runs the new tokens through the model (filling the cache) and returns the last position's logits. */
    private float[] lastLogits(long[][] tokens, long[][] mask, KvCache cache) {
        int b = tokens.length;
        int t = tokens[0].length;
        int past = cache.length();
        try (NDManager m = model.parameters().manager().newSubManager()) {
            NDArray ids = m.create(tokens);                                              // (B, T)
            NDArray pos = m.create(AttentionMasks.positionIds(mask, b, t, past));        // (B, T)
            NDArray allowed = AttentionMasks.allowed(m, mask, b, t, past);               // (B, 1, T, S)
            return Bf16.toFloatArray(model.forwardLast(ids, pos, allowed, cache));       // (B, 1, V), bf16 upcast
        }
    }

    private static FinishReason finished(int token, int[] generated, GenerationOptions o,
                                         Function<int[], String> decoder) {
        if (o.eosTokenIds().contains(token)) {
            return FinishReason.EOS;
        }
        if (!o.stopStrings().isEmpty()) {
            String text = decoder.apply(generated);
            for (String s : o.stopStrings()) {
                if (text.contains(s)) {
                    return FinishReason.STOP_STRING;
                }
            }
        }
        return generated.length >= o.maxNewTokens() ? FinishReason.MAX_NEW_TOKENS : null;
    }

    private static GenerationResult result(int[][] prompts, int[][] generated, int[] count, FinishReason[] reasons,
                                           GenerationOptions o) {
        int b = prompts.length;
        int width = 0;
        for (int c : count) {
            width = Math.max(width, c);
        }
        int[][] seqs = new int[b][];
        int[][] fresh = new int[b][];
        for (int r = 0; r < b; r++) {
            fresh[r] = Arrays.copyOf(generated[r], count[r]);
            seqs[r] = Arrays.copyOf(prompts[r], prompts[r].length + width);
            Arrays.fill(seqs[r], prompts[r].length, seqs[r].length, o.padTokenId());
            System.arraycopy(fresh[r], 0, seqs[r], prompts[r].length, fresh[r].length);
            if (reasons[r] == null) {
                reasons[r] = FinishReason.MAX_NEW_TOKENS;
            }
        }
        return new GenerationResult(seqs, fresh, reasons);
    }
}
