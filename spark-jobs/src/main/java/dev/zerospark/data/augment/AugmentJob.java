package dev.zerospark.data.augment;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.zerospark.data.DeltaTables;
import dev.zerospark.data.NotADeltaTableException;
import dev.zerospark.data.PrepareJob;
import dev.zerospark.data.generate.GenerateJob;
import dev.zerospark.data.generate.GenerateOptions;
import dev.zerospark.data.generate.InputColumnException;
import dev.zerospark.data.generate.internal.ModelFiles;
import dev.zerospark.data.generate.internal.RowGenerator;
import dev.zerospark.data.generate.internal.ServicePipeline;
import dev.zerospark.data.tokenize.Encoder;
import dev.zerospark.data.tokenize.TokenizerCache;
import dev.zerospark.spark.InternalRows;
import dev.zerospark.table.Articles;
import dev.zerospark.table.Generations;
import dev.zerospark.table.SftPairs;
import dev.zerospark.template.PromptTemplates;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code augment} (self-instruct): a teacher model writes riddle targets for the articles that have none, through
 * {@link GenerateJob} (so its table, resume and templates; a teacher behind an endpoint goes through its service
 * pipeline, whose failed rows a rerun retries), the targets pass {@link TargetFilter}, and the accepted
 * ones become sft_pairs rows encoded exactly as {@code prepare} encodes an article with a target ({@link Encoder},
 * riddle template), so {@code train --data OUTPUT} trains on them. Each row carries its provenance: source
 * {@code self-instruct}, the teacher's model id, the teacher's template and {@code created_at}.
 *
 * <p>Idempotent: the teacher's generations are kept (a rerun generates nothing again), the filters are
 * deterministic, and rows are inserted only for content hashes the output lacks.
 */
public final class AugmentJob {
    public static final String SOURCE = "source";
    public static final String SELF_INSTRUCT = "self-instruct";
    public static final String TEACHER_ID = "teacher_id";
    public static final String TEMPLATE = "template";
    public static final String CREATED_AT = "created_at";

    private AugmentJob() {}

    /** Counts of one run: rejected by reason (generation errors as {@code error}). */
    public record Summary(long candidates, long accepted, long inserted, Map<String, Long> rejected, long outputVersion) {}

    public static Summary run(SparkSession spark, AugmentOptions o) {
        if (!DeltaTables.exists(spark, o.input())) throw new NotADeltaTableException(o.input());
        long inputVersion = DeltaTables.version(spark, o.input());
        Dataset<Row> articles = spark.read().format("delta").option("versionAsOf", inputVersion).load(o.input());
        List<String> cols = List.of(articles.columns());
        for (String c : List.of(Articles.ARTICLE_ID, Articles.CONTENT_HASH, Articles.TITLE, Articles.TEXT, Articles.TARGET, Articles.SPLIT)) {
            if (!cols.contains(c)) throw new InputColumnException(o.input(), "--input", c, cols);
        }
        String where = "(" + Articles.TARGET + " IS NULL OR trim(" + Articles.TARGET + ") = '')";
        GenerateOptions teach = new GenerateOptions(o.teacher(), o.input(), o.generations(), o.template(), inputVersion,
                where, o.limit(), Articles.ARTICLE_ID, Articles.TEXT, Articles.TITLE, o.maxNewTokens(), 0.0, 0, 1.0, o.seed(), null,
                "fp32", 8192, null, GenerateOptions.DEFAULT_ROWS_PER_TASK).withService(o.service());
        GenerateJob.run(spark, teach);
        // The generations' model_id: a local teacher's weights hash, or service:<host>/<api model> (never the key).
        String teacherId = o.service() != null ? ServicePipeline.modelId(o.service())
                : ModelFiles.modelId(o.teacher(), spark.sparkContext().hadoopConfiguration());
        Dataset<Row> gen = spark.read().format("delta").load(o.generations())
                .filter(col(Generations.MODEL_ID).equalTo(teacherId).and(col(Generations.PIPELINE).equalTo(o.template())))
                .select(col(Generations.ARTICLE_ID).as("_gen_article"), col(Generations.COMPLETION), col(Generations.FINISH_REASON));
        Dataset<Row> candidates = articles.filter(where).join(gen, articles.col(Articles.ARTICLE_ID).equalTo(gen.col("_gen_article")));
        boolean outputExists = DeltaTables.exists(spark, o.output());
        List<String> existing = new ArrayList<>(articles.filter(col(Articles.TARGET).isNotNull()).select(Articles.TARGET)
                .as(org.apache.spark.sql.Encoders.STRING()).collectAsList());
        if (outputExists) {
            Dataset<Row> out = spark.read().format("delta").load(o.output());
            existing.addAll(out.select(SftPairs.RESPONSE).as(org.apache.spark.sql.Encoders.STRING()).collectAsList());
            // articles already augmented are not candidates: their own target would count as a duplicate of itself
            candidates = candidates.join(out.select(col(SftPairs.CONTENT_HASH).as("_done")),
                    candidates.col(Articles.CONTENT_HASH).equalTo(col("_done")), "left_anti");
        }
        List<Row> rows = candidates.select(Articles.ARTICLE_ID, Articles.CONTENT_HASH, Articles.TITLE, Articles.TEXT, Articles.SPLIT,
                Generations.COMPLETION, Generations.FINISH_REASON).orderBy(Articles.ARTICLE_ID).collectAsList();
        TargetFilter filter = new TargetFilter(o.minWords(), o.maxWords(), o.copyThreshold(), existing);
        Map<String, Long> rejected = new LinkedHashMap<>();
        for (String reason : List.of("error", TargetFilter.EMPTY, TargetFilter.TOO_SHORT, TargetFilter.TOO_LONG,
                TargetFilter.REPEATED_LINES, TargetFilter.COPIES_ARTICLE, TargetFilter.DUPLICATE_TARGET)) {
            rejected.put(reason, 0L);
        }
        List<Row> accepted = new ArrayList<>();
        for (Row r : rows) {
            String reason = RowGenerator.ERROR.equals(r.getString(6)) ? "error" : filter.reject(r.getString(5), r.getString(3));
            if (reason != null) {
                rejected.merge(reason, 1L, Long::sum);
            } else {
                accepted.add(RowFactory.create(r.getString(0), r.getString(1), r.getString(2), r.getString(3),
                        r.isNullAt(4) ? Articles.TRAIN : r.getString(4), r.getString(5).strip()));
            }
        }
        long inserted = accepted.isEmpty() ? 0 : insert(spark, o, teacherId, accepted);
        return new Summary(rows.size(), accepted.size(), inserted, rejected, DeltaTables.version(spark, o.output()));
    }

    /** Encodes the accepted targets as prepare does and inserts the content hashes the output lacks. */
    private static long insert(SparkSession spark, AugmentOptions o, String teacherId, List<Row> accepted) {
        StructType in = new StructType().add(Articles.ARTICLE_ID, DataTypes.StringType).add(Articles.CONTENT_HASH, DataTypes.StringType)
                .add(Articles.TITLE, DataTypes.StringType).add(Articles.TEXT, DataTypes.StringType)
                .add(Articles.SPLIT, DataTypes.StringType).add(Articles.TARGET, DataTypes.StringType);
        // as prepare does: the tokenizer shipped to the executors, and recorded on the table so train can check it
        String tokenizer = TokenizerCache.distribute(spark, o.tokenizer());
        TokenizerCache.get(tokenizer);
        Map<String, String> properties = new LinkedHashMap<>(TokenizerCache.provenance(o.tokenizer(), tokenizer).toProperties());
        // the template the prompts are rendered with, id and text sha256, recorded as prepare records it on sft_pairs
        properties.putAll(PrepareJob.templateProperties(PromptTemplates.RIDDLE));
        Encoder encoder = new Encoder(tokenizer, 64, o.seqLen(), PromptTemplates.RIDDLE, true);
        JavaRDD<InternalRow> encoded = InternalRows.of(spark.createDataFrame(accepted, in).repartition(1))
                .mapPartitions(rows -> encoder.encode(in, rows));
        String runId = UUID.randomUUID().toString();
        Dataset<Row> sft = InternalRows.frame(spark, encoded.rdd(), Encoder.outputSchema(in))
                .filter(col("kind").equalTo(Encoder.ARTICLE).and(col(Encoder.SFT_INPUT_IDS).isNotNull()))
                .select(col(Articles.CONTENT_HASH).as(SftPairs.CONTENT_HASH), col(Articles.ARTICLE_ID).as(SftPairs.ARTICLE_ID),
                        col(Articles.SPLIT).as(SftPairs.SPLIT), col(Encoder.SFT_PROMPT).as(SftPairs.PROMPT),
                        col(Articles.TARGET).as(SftPairs.RESPONSE), col(Encoder.SFT_INPUT_IDS).as(SftPairs.INPUT_IDS),
                        col(Encoder.SFT_LOSS_MASK).as(SftPairs.LOSS_MASK), col(Encoder.SFT_PROMPT_TOKENS).as(SftPairs.PROMPT_TOKENS),
                        lit(runId).as(SftPairs.RUN_ID), lit(SELF_INSTRUCT).as(SOURCE), lit(teacherId).as(TEACHER_ID),
                        lit(o.template()).as(TEMPLATE), lit(new Timestamp(System.currentTimeMillis())).as(CREATED_AT));
        return DeltaTables.insertNew(spark, o.output(), sft, SftPairs.CONTRACT.key(),
                List.of(SftPairs.CONTENT_HASH, SftPairs.ARTICLE_ID, SftPairs.SPLIT, SOURCE, TEACHER_ID),
                properties, -1);
    }
}
