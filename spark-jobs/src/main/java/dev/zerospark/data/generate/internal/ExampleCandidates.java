package dev.zerospark.data.generate.internal;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.trim;

import dev.zerospark.data.DeltaTables;
import dev.zerospark.data.NotADeltaTableException;
import dev.zerospark.data.generate.ExamplesTableException;
import dev.zerospark.table.Articles;
import dev.zerospark.table.SftPairs;
import dev.zerospark.template.ExampleChooser;
import dev.zerospark.template.TemplateInput.Example;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The driver's side of few-shot: reads the example candidates (article id, article text, riddle) from the examples
 * table at one version, refuses more than the configured bound before collecting any, and builds the chooser the
 * tasks share through one broadcast.
 */
public final class ExampleCandidates {
    private ExampleCandidates() {}

    /** The pinned candidates: the chooser and the examples table's version (which params_hash records). */
    public record Pinned(ExampleChooser chooser, long version) {}

    /**
     * @param input the job's input at its pinned version, for {@code sft_pairs}, which holds no article text
     * @param inputId the input's article id column
     * @param inputText the input's text column
     */
    public static Pinned load(SparkSession spark, String table, int max, Dataset<Row> input, String inputId, String inputText) {
        if (!DeltaTables.exists(spark, table)) throw new NotADeltaTableException(table);
        long version = DeltaTables.version(spark, table);
        Dataset<Row> t = spark.read().format("delta").option("versionAsOf", version).load(table);
        List<String> columns = Arrays.asList(t.columns());
        Dataset<Row> candidates;
        if (columns.containsAll(List.of(Articles.ARTICLE_ID, Articles.TEXT, Articles.TARGET))) {
            candidates = t.select(col(Articles.ARTICLE_ID).cast("string").as("id"), col(Articles.TEXT).cast("string").as("article"),
                    col(Articles.TARGET).cast("string").as("riddle"));
        } else if (columns.containsAll(List.of(SftPairs.ARTICLE_ID, SftPairs.RESPONSE))) {
            Dataset<Row> texts = input.select(col(inputId).cast("string").as("text_id"), col(inputText).cast("string").as("article"));
            Dataset<Row> pairs = t.select(col(SftPairs.ARTICLE_ID).cast("string").as("id"), col(SftPairs.RESPONSE).cast("string").as("riddle"));
            candidates = pairs.join(texts, pairs.col("id").equalTo(texts.col("text_id"))).select("id", "article", "riddle");
        } else {
            throw ExamplesTableException.columns(table, columns);
        }
        candidates = candidates.where(col("id").isNotNull().and(length(trim(col("article"))).gt(0)).and(length(trim(col("riddle"))).gt(0)))
                .dropDuplicates("id", "article", "riddle");
        long n = candidates.count();
        if (n > max) throw ExamplesTableException.tooMany(table, version, n, max);
        if (n == 0) throw ExamplesTableException.none(table, version);
        List<Example> examples = new ArrayList<>((int) n);
        for (Row r : candidates.collectAsList()) examples.add(new Example(r.getString(0), r.getString(1), r.getString(2)));
        return new Pinned(ExampleChooser.of(examples), version);
    }
}
