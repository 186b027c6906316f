package dev.zerospark.pipeline.internal;

import dev.zerospark.pipeline.EvalResult;
import dev.zerospark.pipeline.EvalSet;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.train.LossSum;
import dev.zerospark.train.TrainableModel;
import dev.zerospark.train.TrainableModels;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Eval perplexity is exp of the mean next-token loss that training computes, on the validation rows only. */
class PerplexityEvaluatorTest {
    @TempDir Path tmp;

    @Test
    void perplexityIsTheTrainingLossOfTheValidationRowsExponentiated() throws Exception {
        List<Row> rows = new ArrayList<>();
        int[][] validation = new int[11][];
        for (int i = 0; i < 14; i++) {
            List<Integer> ids = new ArrayList<>();
            for (int t = 0; t < 17; t++) ids.add((i * 31 + t * 7) % 1024);
            if (i >= 3) validation[i - 3] = ids.stream().mapToInt(Integer::intValue).toArray();
            rows.add(RowFactory.create(String.format("b%03d", i), i < 3 ? "train" : "validation", ids));
        }
        StructType schema = new StructType().add("block_id", DataTypes.StringType).add("split", DataTypes.StringType)
                .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType));
        String table = tmp.resolve("eval").toUri().toString();
        LocalSpark.session().createDataFrame(rows, schema).write().format("delta").save(table);

        Path model = TestPaths.fixture("tiny-gpt2");
        // 11 rows: two passes of 8 and 3, whose token counts weigh the mean.
        double ppl = new PerplexityEvaluator().evaluate(LocalSpark.session(), model, new EvalSet(table, 0, 100)).metrics().get(EvalResult.PERPLEXITY);
        double expected;
        try (TrainableModel m = TrainableModels.load(model)) {
            LossSum loss = m.forwardBackward(validation, null, 0f, new float[(int) m.numel()]);
            expected = Math.exp(loss.mean());
        }
        assertEquals(expected, ppl, expected * 1e-5);
        assertTrue(ppl > 100, "an untrained-on sequence of a 1024-token vocabulary: " + ppl);

        String trainOnly = tmp.resolve("train-only").toUri().toString();
        LocalSpark.session().createDataFrame(rows.subList(0, 3), schema).write().format("delta").save(trainOnly);
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> new PerplexityEvaluator().evaluate(LocalSpark.session(), model, new EvalSet(trainOnly, 0, 100)));
        assertEquals("eval set " + trainOnly + " version 0 has no rows with split = 'validation'", none.getMessage());
    }
}
