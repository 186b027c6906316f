package dev.zerospark.data.eval;

import java.util.List;

/**
 * What {@code eval compare} scores and where it writes.
 *
 * @param generations the generations Delta table ({@code generate}'s output)
 * @param pipelines the pipelines to compare, in report order; empty: every pipeline the table holds, by name
 * @param references an sft_pairs Delta table whose {@code response} is the reference riddle of its {@code article_id}
 * @param reportDir the folder report.html is written into
 * @param results the eval_results Delta table appended to
 * @param resamples bootstrap resamples per interval
 * @param seed bootstrap seed; each pipeline's interval is drawn from a fresh generator with this seed
 * @param stemmer ROUGE with the Porter stemmer (rouge-score's use_stemmer=True)
 */
public record CompareOptions(String generations, List<String> pipelines, String references, String reportDir,
                             String results, int resamples, long seed, boolean stemmer) {
    public CompareOptions {
        pipelines = List.copyOf(pipelines);
        if (resamples < 1) throw new IllegalArgumentException("bootstrap resamples must be at least 1, got " + resamples);
    }
}
