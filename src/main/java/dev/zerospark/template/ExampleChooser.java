package dev.zerospark.template;

import dev.zerospark.template.TemplateInput.Example;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * Chooses the few-shot examples for each article by a seeded draw: the same seed and article id give the same
 * examples, in the same order, whatever order the candidates came in (they are sorted once), and the article
 * itself (every candidate with its id) is never among them. Serializable, so a job broadcasts one chooser.
 */
public final class ExampleChooser implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Comparator<Example> ORDER = Comparator.comparing(Example::articleId)
            .thenComparing(Example::article, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(Example::riddle, Comparator.nullsFirst(Comparator.naturalOrder()));

    private final List<Example> sorted;

    private ExampleChooser(List<Example> sorted) {
        this.sorted = sorted;
    }

    /** A chooser over {@code candidates} (article_id, article, riddle); each needs an article id. */
    public static ExampleChooser of(Collection<Example> candidates) {
        List<Example> sorted = new ArrayList<>(candidates.size());
        for (Example e : candidates) {
            Objects.requireNonNull(e.articleId(), () -> "a few-shot example has no article id: " + e);
            sorted.add(e);
        }
        sorted.sort(ORDER);
        return new ExampleChooser(List.copyOf(sorted));
    }

    public int candidates() {
        return sorted.size();
    }

    /**
     * Up to {@code k} examples for the article {@code articleId}, drawn without replacement from the candidates
     * whose id differs; fewer when there are not that many.
     */
    public List<Example> choose(String articleId, int k, long seed) {
        if (k < 0) throw new IllegalArgumentException("k must be >= 0, got " + k);
        // The article's own rows are one contiguous run [self, selfEnd) of the sorted list: draw around it.
        int self = firstAtLeast(articleId);
        int selfEnd = self;
        while (selfEnd < sorted.size() && sorted.get(selfEnd).articleId().equals(articleId)) selfEnd++;
        int eligible = sorted.size() - (selfEnd - self);
        int n = Math.min(k, eligible);
        // A partial Fisher-Yates shuffle of the eligible positions, touching only the n positions it draws.
        Random random = new Random(mix(seed, articleId));
        Map<Integer, Integer> swapped = new HashMap<>();
        List<Example> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int j = i + random.nextInt(eligible - i);
            int picked = swapped.getOrDefault(j, j);
            swapped.put(j, swapped.getOrDefault(i, i));
            out.add(sorted.get(picked < self ? picked : picked + (selfEnd - self)));
        }
        return out;
    }

    private int firstAtLeast(String articleId) {
        int lo = 0;
        int hi = sorted.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted.get(mid).articleId().compareTo(articleId) < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /** A 64-bit seed from the run's seed and the article id: FNV-1a over the id's UTF-8, finished with SplitMix64. */
    static long mix(long seed, String articleId) {
        long h = 0xcbf29ce484222325L;
        for (byte b : articleId.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        long z = h ^ (seed * 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
