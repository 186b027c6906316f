package dev.zerospark.eval;

import dev.zerospark.eval.internal.DefaultRougeScorer;

/**
 * Exact ROUGE as Google's rouge-score computes it ({@code RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"],
 * use_stemmer=...)}): its tokenizer, NLTK's Porter stemmer (NLTK_EXTENSIONS mode), n-gram overlap, LCS, and
 * rougeLsum's union-LCS over sentences split on {@code \n} only. Implementations are thread-safe.
 */
public interface RougeScorer {
    /** Argument order as rouge-score's {@code score(target, prediction)}: recall is over the reference. */
    RougeScores score(String reference, String prediction);

    static RougeScorer create(boolean useStemmer) {
        return new DefaultRougeScorer(useStemmer);
    }
}
