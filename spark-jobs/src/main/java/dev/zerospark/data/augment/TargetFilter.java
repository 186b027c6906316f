package dev.zerospark.data.augment;

import dev.zerospark.eval.RougeScorer;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The checks a teacher's target must pass, in order; the first that fails names the reason. Duplicates are judged on
 * the normalized text (lower case, whitespace collapsed) against the existing targets and the targets accepted so far.
 */
public final class TargetFilter {
    public static final String EMPTY = "empty";
    public static final String TOO_SHORT = "too_short";
    public static final String TOO_LONG = "too_long";
    public static final String REPEATED_LINES = "repeated_lines";
    public static final String COPIES_ARTICLE = "copies_article";
    public static final String DUPLICATE_TARGET = "duplicate_target";

    private final int minWords;
    private final int maxWords;
    private final double copyThreshold;
    private final RougeScorer rouge = RougeScorer.create(true);
    private final Set<String> seen = new HashSet<>();

    public TargetFilter(int minWords, int maxWords, double copyThreshold, Iterable<String> existingTargets) {
        this.minWords = minWords;
        this.maxWords = maxWords;
        this.copyThreshold = copyThreshold;
        for (String t : existingTargets) {
            if (t != null && !t.isBlank()) seen.add(normalize(t));
        }
    }

    /** The reason {@code target} is rejected, or null when it is accepted (and then counts as seen). */
    public String reject(String target, String article) {
        if (target == null || target.isBlank()) return EMPTY;
        String t = target.strip();
        int words = t.split("\\s+").length;
        if (words < minWords) return TOO_SHORT;
        if (words > maxWords) return TOO_LONG;
        Set<String> lines = new HashSet<>();
        for (String line : t.split("\n")) {
            if (!line.isBlank() && !lines.add(normalize(line))) return REPEATED_LINES;
        }
        if (rouge.score(article == null ? "" : article, t).rougeL().f() > copyThreshold) return COPIES_ARTICLE;
        if (!seen.add(normalize(t))) return DUPLICATE_TARGET;
        return null;
    }

    static String normalize(String s) {
        return s.strip().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
    }
}
