package dev.zerospark.eval;

import java.util.List;
import java.util.function.Function;

/** The four ROUGE types rouge-score computes for one (reference, prediction) pair. */
public record RougeScores(Score rouge1, Score rouge2, Score rougeL, Score rougeLsum) {
    /** The types in output order, with their names as rouge-score spells them. */
    public static final List<String> TYPES = List.of("rouge1", "rouge2", "rougeL", "rougeLsum");

    public Score get(String type) {
        return switch (type) {
            case "rouge1" -> rouge1;
            case "rouge2" -> rouge2;
            case "rougeL" -> rougeL;
            case "rougeLsum" -> rougeLsum;
            default -> throw new IllegalArgumentException("unknown ROUGE type " + type + "; one of " + TYPES);
        };
    }

    /**
     * Plain arithmetic means of every p, r and f, summed in list order (no bootstrap), as a Python {@code sum(xs) / n}
     * gives them.
     */
    public static RougeScores mean(List<RougeScores> all) {
        if (all.isEmpty()) throw new IllegalArgumentException("the mean of no ROUGE scores is undefined");
        return new RougeScores(mean(all, RougeScores::rouge1), mean(all, RougeScores::rouge2),
                mean(all, RougeScores::rougeL), mean(all, RougeScores::rougeLsum));
    }

    private static Score mean(List<RougeScores> all, Function<RougeScores, Score> type) {
        double p = 0, r = 0, f = 0;
        for (RougeScores s : all) {
            Score x = type.apply(s);
            p += x.p();
            r += x.r();
            f += x.f();
        }
        int n = all.size();
        return new Score(p / n, r / n, f / n);
    }
}
