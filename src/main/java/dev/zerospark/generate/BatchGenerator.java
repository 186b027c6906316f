package dev.zerospark.generate;

import dev.zerospark.model.CausalLm;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * Generates for many prompts of mixed lengths: sorts them by length, groups them into left-padded batches of at most
 * {@code batchTokens} = rows × (longest prompt + max_new_tokens), and runs each batch with {@link Generator}. Every
 * row samples with its own seed, in the same batch as the others, so a row's output does not depend on which rows
 * share its batch; rows that finish leave their batch (see {@link Generator}).
 */
public final class BatchGenerator {
    private final CausalLm model;

    public BatchGenerator(CausalLm model) {
        this.model = model;
    }

    /** One prompt, already tokenized, and the seed of its sampler (see {@link #rowSeed}). */
    public record Row(int[] promptTokens, long seed) {}

    /** A row's new tokens (up to and including EOS or the stop token) and why it ended. */
    public record Output(int[] tokens, FinishReason reason) {}

    /** A row's sampler seed from the run's seed and the article id, so reruns and re-batching reproduce it. */
    public static long rowSeed(long seed, String articleId) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest((seed + "\u0000" + articleId).getBytes(StandardCharsets.UTF_8));
            long s = 0;
            for (int i = 0; i < 8; i++) {
                s = (s << 8) | (h[i] & 0xff);
            }
            return s;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /**
     * @param options the shared settings; its {@code seed} is replaced by each row's seed
     * @param decoder turns new tokens into text for stop strings; may be null without stop strings
     * @return one output per row, in the order of {@code rows}
     */
    public List<Output> generate(List<Row> rows, GenerationOptions options, long batchTokens, Function<int[], String> decoder) {
        Output[] out = new Output[rows.size()];
        for (List<Integer> batch : plan(rows, options.maxNewTokens(), batchTokens)) {
            runBatch(rows, batch, options, decoder, out);
        }
        return Arrays.asList(out);
    }

    /**
     * The batches {@link #generate} runs, as row indices: rows sorted by prompt length, longest first, each batch at
     * most {@code batchTokens} = rows × (its longest prompt + max_new_tokens), and at least one row. Public so the
     * benchmark can hand the same static batches to its baseline.
     */
    public static List<List<Integer>> plan(List<Row> rows, int maxNewTokens, long batchTokens) {
        Integer[] order = new Integer[rows.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> rows.get(i).promptTokens().length).reversed());
        List<List<Integer>> batches = new java.util.ArrayList<>();
        int start = 0;
        while (start < order.length) {
            int width = rows.get(order[start]).promptTokens().length + maxNewTokens; // longest first
            int end = start + 1;
            while (end < order.length && (long) (end - start + 1) * width <= batchTokens) end++;
            batches.add(List.copyOf(Arrays.asList(order).subList(start, end)));
            start = end;
        }
        return batches;
    }

    private void runBatch(List<Row> rows, List<Integer> batch, GenerationOptions o, Function<int[], String> decoder, Output[] out) {
        int width = 1;
        for (int i : batch) width = Math.max(width, rows.get(i).promptTokens().length);
        int[][] ids = new int[batch.size()][width];
        int[][] mask = new int[batch.size()][width];
        long[] seeds = new long[batch.size()];
        for (int r = 0; r < batch.size(); r++) {
            int[] p = rows.get(batch.get(r)).promptTokens();
            int off = width - p.length;
            Arrays.fill(ids[r], 0, off, o.padTokenId());
            System.arraycopy(p, 0, ids[r], off, p.length);
            Arrays.fill(mask[r], off, width, 1);
            seeds[r] = rows.get(batch.get(r)).seed();
        }
        GenerationResult r = new Generator(model).generate(ids, mask, o, seeds, decoder);
        for (int k = 0; k < batch.size(); k++) {
            out[batch.get(k)] = new Output(r.newTokens()[k], r.finishReasons()[k]);
        }
    }
}
