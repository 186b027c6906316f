package dev.zerospark.data.augment;

import dev.zerospark.data.generate.ServiceOptions;

/**
 * What {@code augment} reads, how the teacher writes, what the filters keep, and where the pairs go.
 *
 * @param input an articles Delta table (prepare's); rows whose target is null or blank get one
 * @param teacher the teacher's local HF model directory (its tokenizer also encodes the pairs unless {@code tokenizer});
 *                null when the teacher is behind an endpoint ({@code service})
 * @param template the prompt template the teacher is given ({@code instruct} or {@code riddle})
 * @param output the sft_pairs Delta table the accepted pairs are inserted into (rendered with the riddle template)
 * @param generations the generations table the teacher's outputs are kept in, so a rerun generates nothing twice
 * @param limit candidate articles at most, or null for all
 * @param tokenizer the tokenizer folder the pairs are encoded with
 * @param seqLen tokens per pair, as prepare's seq_len
 * @param minWords targets with fewer words are rejected (too_short)
 * @param maxWords targets with more words are rejected (too_long)
 * @param copyThreshold targets whose ROUGE-L F against the article is above this are rejected (copies_article)
 * @param service a teacher behind an OpenAI-compatible endpoint, through generate's service pipeline; null for a
 *                local {@code teacher}
 */
public record AugmentOptions(String input, String teacher, String template, String output, String generations, Long limit,
                             String tokenizer, int seqLen, int minWords, int maxWords, double copyThreshold,
                             int maxNewTokens, long seed, ServiceOptions service) {
    public AugmentOptions {
        if ((teacher == null) == (service == null)) {
            throw new IllegalArgumentException("give one teacher: a local model directory or an endpoint, not " + (teacher == null ? "neither" : "both"));
        }
        if (tokenizer == null) throw new IllegalArgumentException("the tokenizer the pairs are encoded with is not set");
        if (limit != null && limit < 1) throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        if (minWords < 1 || maxWords < minWords) throw new IllegalArgumentException("need 1 <= min words <= max words, got " + minWords + " and " + maxWords);
        if (!(copyThreshold > 0 && copyThreshold <= 1)) throw new IllegalArgumentException("copy threshold must be in (0, 1], got " + copyThreshold);
    }

    /** A local teacher (the signature before endpoint teachers). */
    public AugmentOptions(String input, String teacher, String template, String output, String generations, Long limit,
                          String tokenizer, int seqLen, int minWords, int maxWords, double copyThreshold, int maxNewTokens, long seed) {
        this(input, teacher, template, output, generations, limit, tokenizer, seqLen, minWords, maxWords, copyThreshold, maxNewTokens, seed, null);
    }
}
