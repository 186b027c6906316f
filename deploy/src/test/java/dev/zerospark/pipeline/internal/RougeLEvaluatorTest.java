package dev.zerospark.pipeline.internal;

import dev.zerospark.eval.RougeScorer;
import dev.zerospark.generate.TextCompleter;
import dev.zerospark.pipeline.EvalResult;
import dev.zerospark.pipeline.EvalSet;
import dev.zerospark.template.PromptTemplates;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ROUGE-L of the model's greedy riddles for the validation prompts of an sft_pairs eval set against the reference
 * responses: 1.0 when the references are the model's own greedy riddles (computed here through the text API),
 * the rouge-score mean otherwise; train rows are not scored; a set without references gives no rouge_l.
 */
class RougeLEvaluatorTest {
    private static final StructType SFT = new StructType().add("content_hash", DataTypes.StringType).add("split", DataTypes.StringType)
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType)).add("prompt_tokens", DataTypes.IntegerType)
            .add("response", DataTypes.StringType);
    private static final int MAX_NEW = 8;
    @TempDir Path tmp;

    private String table(String name, List<Row> rows, StructType schema) {
        String uri = tmp.resolve(name).toUri().toString();
        LocalSpark.session().createDataFrame(rows, schema).write().format("delta").save(uri);
        return uri;
    }

    @Test
    void rougeLScoresTheGreedyRiddleOfEachValidationPromptAgainstItsResponse() throws Exception {
        Path model = TestPaths.fixture("tiny-llama");
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            prompts.add(PromptTemplates.RIDDLE.text().replace("{title}", "Story " + i).replace("{article}", "The mayor of town " + i + " opened a bridge."));
        }
        List<String> greedy = new ArrayList<>();
        int[][] ids;
        try (TextCompleter c = TextCompleter.open(model)) {
            ids = c.tokenizer().encodeBatch(prompts);
            for (TextCompleter.Completion x : c.complete(prompts, c.options(MAX_NEW, 0, 0, 1, 0, PromptTemplates.RIDDLE.stop()))) {
                greedy.add(x.text().strip());
            }
        }
        for (String g : greedy) assertTrue(g.matches("(?s).*[A-Za-z0-9].*"), "a greedy riddle with a word to score: '" + g + "'");
        List<String> fixed = List.of("a bridge opens", "the mayor of a town", "what crosses water but never gets wet");

        List<Row> own = new ArrayList<>();
        List<Row> other = new ArrayList<>();
        double expected = 0;
        RougeScorer scorer = RougeScorer.create(true);
        for (int i = 0; i < prompts.size(); i++) {
            List<Integer> row = new ArrayList<>();
            for (int t : ids[i]) row.add(t);
            for (int t = 0; t < 5; t++) row.add(7); // the response's ids: not part of the prompt
            String split = i < 2 ? "train" : "validation";
            own.add(RowFactory.create(String.format("h%02d", i), split, row, ids[i].length, i < 2 ? "unrelated words" : greedy.get(i)));
            String ref = fixed.get(i % fixed.size());
            other.add(RowFactory.create(String.format("h%02d", i), split, row, ids[i].length, ref));
            if (i >= 2) expected += scorer.score(ref, greedy.get(i)).rougeL().f();
        }
        expected /= prompts.size() - 2;

        RougeLEvaluator ev = new RougeLEvaluator(MAX_NEW);
        assertEquals(1.0, ev.evaluate(LocalSpark.session(), model, new EvalSet(table("own", own, SFT), 0, 100)).metrics().get(EvalResult.ROUGE_L), 1e-12);
        double score = ev.evaluate(LocalSpark.session(), model, new EvalSet(table("other", other, SFT), 0, 100)).metrics().get(EvalResult.ROUGE_L);
        assertEquals(expected, score, 1e-12);
        assertTrue(score < 1.0, "references other than the model's riddles: " + score);

        // max_rows: the first rows in content_hash order.
        var two = ev.predict(LocalSpark.session(), model, new EvalSet(tmp.resolve("other").toUri().toString(), 0, 2));
        assertEquals(List.of("h02", "h03"), two.stream().map(RougeLEvaluator.Prediction::contentHash).toList());
        assertEquals(List.of(greedy.get(2), greedy.get(3)), two.stream().map(RougeLEvaluator.Prediction::prediction).toList());
    }

    @Test
    void anEvalSetWithoutReferencesGivesNoRougeLAndOneWithoutValidationRowsIsAnError() throws Exception {
        Path model = TestPaths.fixture("tiny-gpt2");
        StructType blocks = new StructType().add("block_id", DataTypes.StringType).add("split", DataTypes.StringType)
                .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType));
        String lm = table("lm", List.of(RowFactory.create("b0", "validation", List.of(1, 2, 3))), blocks);
        assertEquals(Map.of(), new RougeLEvaluator(MAX_NEW).evaluate(LocalSpark.session(), model, new EvalSet(lm, 0, 10)).metrics());

        String trainOnly = table("train-only", List.of(RowFactory.create("h0", "train", List.of(1, 2, 3), 2, "a riddle")), SFT);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RougeLEvaluator(MAX_NEW).evaluate(LocalSpark.session(), model, new EvalSet(trainOnly, 0, 10)));
        assertEquals("eval set " + trainOnly + " version 0 has no rows with split = 'validation' and a response to score rouge_l against", e.getMessage());
    }
}
