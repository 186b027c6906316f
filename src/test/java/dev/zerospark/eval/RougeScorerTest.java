package dev.zerospark.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.eval.internal.PorterStemmer;
import dev.zerospark.eval.internal.RougeTokenizer;
import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every p, r and f of the 60 pairs in {@code fixtures/rouge/rouge_reference.json} (scored by Google's rouge-score with
 * NLTK 3.8), with and without stemming, within 1e-9; the tokens rouge-score produced; and the means line.
 */
class RougeScorerTest {
    static final double TOL = 1e-9;
    static JsonNode fixture;

    @BeforeAll
    static void load() throws Exception {
        fixture = new ObjectMapper().readTree(TestPaths.testData().resolve("fixtures/rouge/rouge_reference.json").toFile());
        assertEquals(60, fixture.get("pairs").size());
    }

    static String mode(boolean stem) {
        return stem ? "stem" : "nostem";
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void everyScoreMatchesRougeScore(boolean stem) {
        RougeScorer scorer = RougeScorer.create(stem);
        List<String> bad = new ArrayList<>();
        int compared = 0;
        double maxErr = 0;
        for (JsonNode pair : fixture.get("pairs")) {
            RougeScores got = scorer.score(pair.get("reference").asText(), pair.get("prediction").asText());
            JsonNode want = pair.get("scores").get(mode(stem));
            for (String type : RougeScores.TYPES) {
                Score s = got.get(type);
                double[] have = {s.p(), s.r(), s.f()};
                String[] names = {"p", "r", "f"};
                for (int k = 0; k < 3; k++) {
                    double exp = want.get(type).get(names[k]).asDouble();
                    double err = Math.abs(exp - have[k]);
                    maxErr = Math.max(maxErr, err);
                    compared++;
                    if (!(err <= TOL)) bad.add(pair.get("id").asText() + " " + type + "." + names[k] + ": want " + exp + " got " + have[k]);
                }
            }
        }
        System.out.printf("rouge %s: %d of %d p/r/f values within %g, max abs error %g%n", mode(stem), compared - bad.size(), compared, TOL, maxErr);
        assertEquals(60 * 4 * 3, compared);
        assertTrue(bad.isEmpty(), bad.size() + " mismatches:\n" + String.join("\n", bad));
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void tokensMatchRougeScore(boolean stem) {
        RougeTokenizer tok = new RougeTokenizer(stem ? new PorterStemmer() : null);
        int checked = 0;
        for (JsonNode pair : fixture.get("pairs")) {
            JsonNode want = pair.get("tokens");
            if (want == null) continue;
            want = want.get(mode(stem));
            for (String side : List.of("prediction", "reference")) {
                String text = pair.get(side).asText();
                String where = pair.get("id").asText() + " " + side;
                assertEquals(strings(want.get(side)), tok.tokenize(text), where);
                List<List<String>> lines = new ArrayList<>();
                for (JsonNode l : want.get(side + "_lsum_sentences")) lines.add(strings(l));
                assertEquals(lines, tok.tokenizeLines(text), where + " lsum sentences");
                checked++;
            }
        }
        assertTrue(checked >= 100, "token lists checked: " + checked);
    }

    @Test
    void meansLineMatchesTheFixture() {
        for (boolean stem : new boolean[]{true, false}) {
            RougeScorer scorer = RougeScorer.create(stem);
            List<RougeScores> all = new ArrayList<>();
            for (JsonNode pair : fixture.get("pairs")) all.add(scorer.score(pair.get("reference").asText(), pair.get("prediction").asText()));
            RougeScores mean = RougeScores.mean(all);
            JsonNode want = fixture.get("means").get(mode(stem));
            for (String type : RougeScores.TYPES) {
                assertEquals(want.get(type).get("p").asDouble(), mean.get(type).p(), TOL, mode(stem) + " " + type);
                assertEquals(want.get(type).get("r").asDouble(), mean.get(type).r(), TOL, mode(stem) + " " + type);
                assertEquals(want.get(type).get("f").asDouble(), mean.get(type).f(), TOL, mode(stem) + " " + type);
            }
        }
    }

    @Test
    void argumentOrderIsReferenceThenPrediction() {
        // 2 of the prediction's 4 tokens match; the reference has 2: precision 0.5, recall 1.
        Score s = RougeScorer.create(false).score("a b", "a b c d").rouge1();
        assertEquals(0.5, s.p());
        assertEquals(1.0, s.r());
    }

    @Test
    void emptyTextsScoreZero() {
        RougeScores s = RougeScorer.create(true).score("", "some words");
        for (String type : RougeScores.TYPES) assertEquals(Score.ZERO, s.get(type), type);
    }

    static List<String> strings(JsonNode arr) {
        List<String> out = new ArrayList<>();
        for (JsonNode t : arr) out.add(t.asText());
        return out;
    }
}
