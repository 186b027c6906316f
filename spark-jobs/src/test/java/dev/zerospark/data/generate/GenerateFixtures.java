package dev.zerospark.data.generate;

import dev.zerospark.testing.TestPaths;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** A small articles table (prepare's article columns) and options over the tiny GPT-2 fixture, whose context is 64 tokens. */
final class GenerateFixtures {
    static final String MODEL = TestPaths.fixture("tiny-gpt2").toString();
    static final StructType ARTICLES = DataTypes.createStructType(List.of(
            DataTypes.createStructField("article_id", DataTypes.StringType, true),
            DataTypes.createStructField("content_hash", DataTypes.StringType, true),
            DataTypes.createStructField("title", DataTypes.StringType, true),
            DataTypes.createStructField("text", DataTypes.StringType, true),
            DataTypes.createStructField("split", DataTypes.StringType, true)));

    private GenerateFixtures() {}

    /** {@code n} short articles a-000.. of mixed lengths, and the extra rows given. */
    static List<Row> articles(int n, Row... extra) {
        List<Row> rows = new ArrayList<>();
        String[] words = {"harbour", "storm", "market", "bridge", "council", "river", "train", "festival"};
        for (int i = 0; i < n; i++) {
            StringBuilder text = new StringBuilder();
            for (int w = 0; w <= i % 4; w++) text.append(words[(i + w) % words.length]).append(' ');
            rows.add(RowFactory.create(String.format("a-%03d", i), "h" + i, "Title " + i, text.toString().strip(), "validation"));
        }
        rows.addAll(List.of(extra));
        return rows;
    }

    static void writeArticles(SparkSession spark, String path, List<Row> rows) {
        spark.createDataFrame(rows, ARTICLES).write().format("delta").mode("overwrite").save(path);
    }

    /** Greedy, 6 new tokens, the riddle template; 2 tasks per chunk of {@code rowsPerTask} articles each. */
    static GenerateOptions options(String model, String input, String output, int partitions, int rowsPerTask) {
        return new GenerateOptions(model, input, output, "riddle", null, null, null, "article_id", "text", "title",
                6, 0, 0, 1, 0, null, "fp32", 8192, partitions, rowsPerTask);
    }
}
