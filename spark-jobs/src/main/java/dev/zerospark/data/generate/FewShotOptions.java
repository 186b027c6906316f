package dev.zerospark.data.generate;

/**
 * Few-shot examples for a template with an {@code {examples}} placeholder.
 *
 * @param table a Delta table of candidates: {@code sft_pairs} (its {@code response} is the riddle, the article text
 *              comes from the job's input at its pinned version, joined on article id) or an articles table whose
 *              {@code target} is the riddle (rows without one are skipped)
 * @param shots examples per prompt
 * @param maxCandidates candidates the driver collects and ships to the tasks at most; a larger table is refused
 */
public record FewShotOptions(String table, int shots, int maxCandidates) {
    public FewShotOptions {
        if (table == null || table.isBlank()) throw new IllegalArgumentException("the examples table is empty");
        if (shots < 1) throw new IllegalArgumentException("shots must be >= 1, got " + shots);
        if (maxCandidates < 1) throw new IllegalArgumentException("max_examples must be >= 1, got " + maxCandidates);
    }
}
