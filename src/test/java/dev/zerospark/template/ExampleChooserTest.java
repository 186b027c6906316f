package dev.zerospark.template;

import dev.zerospark.template.TemplateInput.Example;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExampleChooserTest {
    private static List<Example> candidates(int n) {
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new Example("a" + i, "article " + i, "riddle " + i));
        return out;
    }

    @Test
    void neverPicksTheArticleItself() {
        List<Example> all = candidates(6);
        all.add(new Example("a3", "a second row of a3", "another riddle")); // the same article twice (two targets)
        ExampleChooser chooser = ExampleChooser.of(all);
        for (long seed = 0; seed < 200; seed++) {
            for (int a = 0; a < 6; a++) {
                List<Example> got = chooser.choose("a" + a, 3, seed);
                assertEquals(3, got.size());
                Set<Example> distinct = new HashSet<>(got);
                assertEquals(3, distinct.size(), "without replacement: " + got);
                for (Example e : got) assertNotEquals("a" + a, e.articleId(), "seed " + seed + ": " + got);
            }
        }
        // Asking for more than there are others: all the others, never the article.
        List<Example> rest = chooser.choose("a3", 10, 7);
        assertEquals(5, rest.size());
        assertTrue(rest.stream().noneMatch(e -> e.articleId().equals("a3")), rest.toString());
        assertEquals(7, chooser.choose("not-a-candidate", 10, 7).size(), "an article not among the candidates may get any of them");
    }

    @Test
    void theSameSeedAndArticleGiveTheSameExamplesWhateverTheCandidateOrder() {
        List<Example> all = candidates(50);
        List<Example> shuffled = new ArrayList<>(all);
        Collections.shuffle(shuffled, new Random(3));
        ExampleChooser a = ExampleChooser.of(all);
        ExampleChooser b = ExampleChooser.of(shuffled);
        Set<List<Example>> bySeed = new HashSet<>();
        for (long seed = 0; seed < 20; seed++) {
            List<Example> first = a.choose("a7", 3, seed);
            assertEquals(first, a.choose("a7", 3, seed));
            assertEquals(first, b.choose("a7", 3, seed), "candidate order does not matter");
            bySeed.add(first);
        }
        assertTrue(bySeed.size() > 15, "the seed changes the draw: " + bySeed.size() + " distinct of 20");
        Set<List<Example>> byArticle = new HashSet<>();
        for (int i = 0; i < 20; i++) byArticle.add(a.choose("a" + i, 3, 0));
        assertTrue(byArticle.size() > 15, "the article changes the draw: " + byArticle.size() + " distinct of 20");
        // Every candidate other than the article is reachable.
        Set<String> seen = new HashSet<>();
        for (long seed = 0; seed < 500; seed++) a.choose("a0", 3, seed).forEach(e -> seen.add(e.articleId()));
        assertEquals(49, seen.size());
    }
}
