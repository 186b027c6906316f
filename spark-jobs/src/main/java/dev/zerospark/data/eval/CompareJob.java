package dev.zerospark.data.eval;

import static org.apache.spark.sql.functions.col;

import dev.zerospark.data.DeltaTables;
import dev.zerospark.data.NotADeltaTableException;
import dev.zerospark.data.eval.internal.CompareReport;
import dev.zerospark.data.generate.InputColumnException;
import dev.zerospark.eval.Bootstrap;
import dev.zerospark.eval.NothingToScoreException;
import dev.zerospark.eval.RougeScorer;
import dev.zerospark.eval.RougeScores;
import dev.zerospark.data.generate.internal.RowGenerator;
import dev.zerospark.spark.Contracts;
import dev.zerospark.table.EvalResults;
import dev.zerospark.table.Generations;
import dev.zerospark.table.SftPairs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/**
 * {@code eval compare}: joins each pipeline's generations with the reference riddles on article_id, scores every pair
 * with the core {@link RougeScorer}, and per (pipeline, model) takes the mean F of each ROUGE type with a seeded
 * percentile bootstrap 95% interval ({@link Bootstrap}), plus error, truncation and (when the table records it)
 * latency counts. Appends the numbers to an eval_results Delta table ({@link EvalResults}) and writes report.html.
 *
 * <p>Spark reads, filters and joins; the scored pairs (an evaluation set: hundreds to a few thousand rows) are
 * collected to the driver, where scoring runs at about 14k pairs/s and the bootstrap needs them all anyway.
 */
public final class CompareJob {
    private CompareJob() {}

    /** One scored pair, in (pipeline, model_id, article_id) order. */
    public record Pair(String pipeline, String modelId, String articleId, String prediction, String reference,
                       boolean error, boolean truncated, Double latencyMs, RougeScores scores) {}

    /** What the run wrote. */
    public record Summary(String runId, List<PipelineScores> pipelines, List<Pair> pairs, long resultsVersion, String report) {}

    /**
     * @param perplexityByModelId perplexities the caller computed for local models, by generations model_id
     */
    public static Summary run(SparkSession spark, CompareOptions o, Map<String, Double> perplexityByModelId) {
        for (String t : List.of(o.generations(), o.references())) {
            if (!DeltaTables.exists(spark, t)) throw new NotADeltaTableException(t);
        }
        long genVersion = DeltaTables.version(spark, o.generations());
        long refVersion = DeltaTables.version(spark, o.references());
        Dataset<Row> gen = spark.read().format("delta").option("versionAsOf", genVersion).load(o.generations());
        Dataset<Row> ref = spark.read().format("delta").option("versionAsOf", refVersion).load(o.references());
        requireColumns(gen, o.generations(), "--generations", List.of(Generations.ARTICLE_ID, Generations.PIPELINE,
                Generations.MODEL_ID, Generations.COMPLETION, Generations.FINISH_REASON, Generations.TRUNCATED));
        requireColumns(ref, o.references(), "--references", List.of(SftPairs.ARTICLE_ID, SftPairs.RESPONSE));
        boolean hasLatency = List.of(gen.columns()).contains(EvalResults.LATENCY_COLUMN);

        List<String> present = gen.select(Generations.PIPELINE).distinct().orderBy(Generations.PIPELINE)
                .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
        for (String p : o.pipelines()) {
            if (!present.contains(p)) {
                throw new NothingToScoreException("generations table " + o.generations() + " (version " + genVersion
                        + ") has no pipeline '" + p + "' (--pipelines); it has " + present);
            }
        }
        List<String> pipelines = o.pipelines().isEmpty() ? present : o.pipelines();
        Dataset<Row> refs = ref.filter(col(SftPairs.RESPONSE).isNotNull().and(col(SftPairs.ARTICLE_ID).isNotNull()))
                .select(col(SftPairs.ARTICLE_ID).as("_ref_article"), col(SftPairs.RESPONSE).as("_reference"))
                .dropDuplicates("_ref_article");
        Dataset<Row> joined = gen.filter(col(Generations.PIPELINE).isin(pipelines.toArray()))
                .join(refs, gen.col(Generations.ARTICLE_ID).equalTo(refs.col("_ref_article")))
                .select(col(Generations.PIPELINE), col(Generations.MODEL_ID), col(Generations.ARTICLE_ID), col(Generations.COMPLETION),
                        col("_reference"), col(Generations.FINISH_REASON), col(Generations.TRUNCATED),
                        hasLatency ? col(EvalResults.LATENCY_COLUMN).cast("double") : org.apache.spark.sql.functions.lit(null).cast("double"))
                .orderBy(Generations.PIPELINE, Generations.MODEL_ID, Generations.ARTICLE_ID);
        List<Row> rows = joined.collectAsList();
        if (rows.isEmpty()) {
            throw new NothingToScoreException("no generation of " + pipelines + " in " + o.generations() + " (version " + genVersion
                    + ") has a reference in " + o.references() + " (version " + refVersion + ") with the same article_id");
        }
        RougeScorer scorer = RougeScorer.create(o.stemmer());
        List<Pair> pairs = new ArrayList<>(rows.size());
        for (Row r : rows) {
            String prediction = r.isNullAt(3) ? "" : r.getString(3);
            String reference = r.getString(4);
            boolean error = RowGenerator.ERROR.equals(r.getString(5));
            pairs.add(new Pair(r.getString(0), r.getString(1), r.getString(2), prediction, reference, error,
                    !r.isNullAt(6) && r.getBoolean(6), r.isNullAt(7) ? null : r.getDouble(7), scorer.score(reference, prediction)));
        }
        List<PipelineScores> scores = summarize(pairs, pipelines, o, perplexityByModelId);
        String runId = UUID.randomUUID().toString();
        long version = appendResults(spark, o, runId, scores, genVersion, refVersion);
        String report = o.reportDir().replaceAll("/+$", "") + "/report.html";
        writeText(spark, report, CompareReport.html(o, genVersion, refVersion, hasLatency, scores, pairs));
        return new Summary(runId, scores, pairs, version, report);
    }

    /** Per (pipeline, model) in the pipelines' order, then model id: means, intervals and counts. */
    static List<PipelineScores> summarize(List<Pair> pairs, List<String> pipelines, CompareOptions o, Map<String, Double> ppl) {
        Map<String, List<Pair>> groups = new LinkedHashMap<>();
        for (String p : pipelines) {
            pairs.stream().filter(x -> x.pipeline().equals(p)).map(Pair::modelId).distinct().sorted()
                    .forEach(m -> groups.put(p + "\u0000" + m, new ArrayList<>()));
        }
        for (Pair x : pairs) groups.get(x.pipeline() + "\u0000" + x.modelId()).add(x);
        List<PipelineScores> out = new ArrayList<>();
        for (List<Pair> g : groups.values()) {
            Map<String, Bootstrap.Interval> rouge = new LinkedHashMap<>();
            for (String type : RougeScores.TYPES) {
                double[] f = g.stream().mapToDouble(x -> x.scores().get(type).f()).toArray();
                rouge.put(type, Bootstrap.mean95(f, o.resamples(), o.seed()));
            }
            long errors = g.stream().filter(Pair::error).count();
            long truncated = g.stream().filter(Pair::truncated).count();
            Double latency = g.stream().anyMatch(x -> x.latencyMs() != null)
                    ? g.stream().filter(x -> x.latencyMs() != null).mapToDouble(Pair::latencyMs).average().orElseThrow() : null;
            String model = g.get(0).modelId();
            out.add(new PipelineScores(g.get(0).pipeline(), model, g.size(), errors, truncated, latency, rouge, ppl.get(model)));
        }
        return out;
    }

    private static long appendResults(SparkSession spark, CompareOptions o, String runId, List<PipelineScores> scores,
                                      long genVersion, long refVersion) {
        Timestamp now = new Timestamp(System.currentTimeMillis());
        List<Row> rows = new ArrayList<>();
        for (PipelineScores s : scores) {
            for (String type : RougeScores.TYPES) {
                Bootstrap.Interval i = s.rougeF().get(type);
                rows.add(RowFactory.create(runId, s.pipeline(), s.modelId(), type + "_f", i.mean(), i.low(), i.high(), s.pairs(),
                        o.generations(), genVersion, o.references(), refVersion, o.resamples(), o.seed(), now));
            }
            Map<String, Double> counts = new LinkedHashMap<>();
            counts.put(EvalResults.PAIRS, (double) s.pairs());
            counts.put(EvalResults.ERRORS, (double) s.errors());
            counts.put(EvalResults.TRUNCATED, (double) s.truncated());
            if (s.latencyMsMean() != null) counts.put(EvalResults.LATENCY_MS_MEAN, s.latencyMsMean());
            if (s.perplexity() != null) counts.put(EvalResults.PERPLEXITY, s.perplexity());
            for (Map.Entry<String, Double> e : counts.entrySet()) {
                rows.add(RowFactory.create(runId, s.pipeline(), s.modelId(), e.getKey(), e.getValue(), null, null, s.pairs(),
                        o.generations(), genVersion, o.references(), refVersion, o.resamples(), o.seed(), now));
            }
        }
        spark.createDataFrame(rows, Contracts.schema(EvalResults.CONTRACT)).write().format("delta").mode("append").save(o.results());
        return DeltaTables.version(spark, o.results());
    }

    private static void requireColumns(Dataset<Row> df, String table, String option, List<String> needed) {
        List<String> cols = List.of(df.columns());
        for (String c : needed) {
            if (!cols.contains(c)) throw new InputColumnException(table, option, c, cols);
        }
    }

    private static void writeText(SparkSession spark, String uri, String text) {
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(uri);
        try {
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            try (FSDataOutputStream out = fs.create(path, true)) {
                out.write(text.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + uri, e);
        }
    }
}
