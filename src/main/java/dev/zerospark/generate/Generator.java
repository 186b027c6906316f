package dev.zerospark.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.jni.JniUtils;
import dev.zerospark.model.AttentionMasks;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.KvCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Batched autoregressive decoding with a KV cache. Prompts are left-padded (B, P) with an attention mask, so
 * every row's next token is at the same column; position ids follow the mask like HF's generate.
 */
public final class Generator {
    private final CausalLm model;

    public Generator(CausalLm model) {
        this.model = model;
    }

    /**
     * @param prompts (B, P) left-padded token ids
     * @param attentionMask (B, P), 1 for real tokens and 0 for left padding; null when nothing is padded
     * @param decoder turns a row's new tokens into text for stop strings; may be null without stop strings
     */
    public GenerationResult generate(int[][] prompts, int[][] attentionMask, GenerationOptions options,
                                     Function<int[], String> decoder) {
        if (!options.stopStrings().isEmpty() && decoder == null) {
            throw new IllegalArgumentException("stop strings need a decoder");
        }
        int b = prompts.length;
        int p = prompts[0].length;
        int vocab = model.config().vocabSize();
        long[][] mask = new long[b][p];
        for (int r = 0; r < b; r++) {
            for (int t = 0; t < p; t++) {
                mask[r][t] = attentionMask == null ? 1 : attentionMask[r][t];
            }
        }
        Sampler sampler = new Sampler(options);
        List<List<Integer>> generated = new ArrayList<>();
        for (int r = 0; r < b; r++) {
            generated.add(new ArrayList<>());
        }
        FinishReason[] reasons = new FinishReason[b];
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (KvCache cache = model.newCache()) {
            long[][] step = new long[b][];
            for (int r = 0; r < b; r++) {
                step[r] = Arrays.stream(prompts[r]).asLongStream().toArray();
            }
            for (int n = 0; n < options.maxNewTokens(); n++) {
                float[] last = lastLogits(step, mask, cache); // (B, V)
                int[] next = new int[b];
                boolean allDone = true;
                for (int r = 0; r < b; r++) {
                    if (reasons[r] != null) {
                        next[r] = options.padTokenId();
                        continue;
                    }
                    next[r] = sampler.next(last, r * vocab, vocab);
                    generated.get(r).add(next[r]);
                    reasons[r] = finished(next[r], generated.get(r), options, decoder);
                    allDone &= reasons[r] != null;
                }
                if (allDone || n == options.maxNewTokens() - 1) {
                    break;
                }
                mask = appendOnes(mask);
                for (int r = 0; r < b; r++) {
                    step[r] = new long[] {next[r]};
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        return result(prompts, generated, reasons, options);
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
            NDArray logits = model.forward(ids, pos, allowed, cache);                    // (B, T, V)
            return logits.get(new NDIndex(":, {}, :", t - 1)).toFloatArray();           // (B, V)
        }
    }

    private static FinishReason finished(int token, List<Integer> generated, GenerationOptions o,
                                         Function<int[], String> decoder) {
        if (o.eosTokenIds().contains(token)) {
            return FinishReason.EOS;
        }
        if (!o.stopStrings().isEmpty()) {
            String text = decoder.apply(generated.stream().mapToInt(Integer::intValue).toArray());
            for (String s : o.stopStrings()) {
                if (text.contains(s)) {
                    return FinishReason.STOP_STRING;
                }
            }
        }
        return generated.size() >= o.maxNewTokens() ? FinishReason.MAX_NEW_TOKENS : null;
    }

    private static long[][] appendOnes(long[][] mask) {
        long[][] out = new long[mask.length][];
        for (int r = 0; r < mask.length; r++) {
            out[r] = Arrays.copyOf(mask[r], mask[r].length + 1);
            out[r][mask[r].length] = 1;
        }
        return out;
    }

    private static GenerationResult result(int[][] prompts, List<List<Integer>> generated, FinishReason[] reasons,
                                           GenerationOptions o) {
        int b = prompts.length;
        int width = 0;
        for (List<Integer> g : generated) {
            width = Math.max(width, g.size());
        }
        int[][] seqs = new int[b][];
        int[][] fresh = new int[b][];
        for (int r = 0; r < b; r++) {
            fresh[r] = generated.get(r).stream().mapToInt(Integer::intValue).toArray();
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
