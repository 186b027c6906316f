package dev.zerospark.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.clean.CleanStage;
import dev.zerospark.data.clean.TextCleaner;
import dev.zerospark.data.dedup.Dedup;
import dev.zerospark.data.dedup.MinHasher;
import dev.zerospark.data.ingest.Ingest;
import dev.zerospark.data.tokenize.Encoder;
import dev.zerospark.data.tokenize.Packer;
import dev.zerospark.data.tokenize.TokenizerCache;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.when;

/**
 * The {@code prepare} job: ingest → clean → quarantine → exact and near dedup → tokenize → pack, written as Delta
 * tables under {@code output}: {@code articles}, {@code quarantine}, {@code lm_blocks}, {@code sft_pairs} (when
 * any article has a target) and {@code stats}. All writes are insert-only MERGEs on deterministic keys and
 * {@code articles} is written last, so a rerun (also after a crash) adds only what is missing.
 */
public final class PrepareJob {
    private static final Logger LOG = LoggerFactory.getLogger(PrepareJob.class);

    public static final String ARTICLES = "articles";
    public static final String QUARANTINE = "quarantine";
    public static final String LM_BLOCKS = "lm_blocks";
    public static final String SFT_PAIRS = "sft_pairs";
    public static final String STATS = "stats";

    private PrepareJob() {}

    public static String table(PrepareConfig cfg, String name) {
        return cfg.output().replaceAll("/+$", "") + "/" + name;
    }

    public static PrepareResult run(SparkSession spark, PrepareConfig cfg) {
        require(cfg.input(), "input");
        require(cfg.output(), "output");
        require(cfg.tokenizer(), "tokenizer");
        String runId = UUID.randomUUID().toString();
        Instant started = Instant.now();
        LOG.info("prepare run {}: {} ({}) -> {}", runId, cfg.input(), cfg.format(), cfg.output());
        int partitions = cfg.partitions() > 0 ? cfg.partitions() : spark.sparkContext().defaultParallelism();
        String tokenizer = TokenizerCache.distribute(spark, cfg.tokenizer());
        TokenizerCache.get(tokenizer); // fail fast on the driver if the tokenizer is unusable

        // 1-2. Ingest and clean; everything downstream reads this one persisted dataset.
        PrepareConfig.Dedup d = cfg.dedup();
        Dataset<Row> raw = Ingest.read(spark, cfg, runId).repartition(partitions, col("source_file"), col("source_offset"));
        Dataset<Row> cleaned = CleanStage.apply(raw, new TextCleaner(cfg.clean()), new MinHasher(d.shingleSize(), d.bands() * d.rows()), d.bands(), d.rows())
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            return runCleaned(spark, cfg, runId, started, tokenizer, partitions, cleaned);
        } finally {
            cleaned.unpersist();
        }
    }

    private static PrepareResult runCleaned(SparkSession spark, PrepareConfig cfg, String runId, Instant started,
                                            String tokenizer, int partitions, Dataset<Row> cleaned) {
        // One pass for the input count and the quarantine reasons (null reason = passed cleaning).
        Map<String, Long> reasons = new java.util.TreeMap<>();
        long input = 0;
        for (Row r : cleaned.groupBy("reason").count().collectAsList()) {
            input += r.getLong(1);
            if (!r.isNullAt(0)) reasons.put(r.getString(0), r.getLong(1));
        }
        long quarantined = reasons.values().stream().mapToLong(Long::longValue).sum();
        LOG.info("run {}: ingested and cleaned {} records ({} quarantined) after {} s", runId, input, quarantined, secondsSince(started));

        // 3. Quarantine: keyed on lineage + reason, so a rerun inserts nothing.
        if (quarantined > 0) {
            Dataset<Row> q = cleaned.filter(col("reason").isNotNull()).select(
                    sha2(concat_ws("\u0001", col("source_file"), col("source_offset").cast("string"), col("reason")), 256).as("quarantine_id"),
                    col("reason"), col("detail"), col("raw_prefix"), col("source_file"), col("source_offset"), col("run_id"),
                    col("article_id"), current_timestamp().as("quarantined_at")).dropDuplicates("quarantine_id");
            DeltaTables.insertNew(spark, table(cfg, QUARANTINE), q, List.of("quarantine_id"), -1);
        }

        // 4. Dedup against this run and the table.
        String articlesPath = table(cfg, ARTICLES);
        Dataset<Row> existing = DeltaTables.exists(spark, articlesPath) ? spark.read().format("delta").load(articlesPath) : null;
        Dataset<Row> classified = Dedup.classify(cleaned.filter(col("reason").isNull()), existing,
                cfg.dedup().jaccardThreshold(), cfg.dedup().near(), cfg.dedup().bands() * cfg.dedup().rows())
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            Map<String, Long> byStatus = new LinkedHashMap<>();
            for (Row r : classified.groupBy("status").count().collectAsList()) byStatus.put(r.getString(0), r.getLong(1));
            long present = byStatus.getOrDefault("present", 0L);
            long duplicates = byStatus.getOrDefault("duplicate", 0L);
            long near = byStatus.getOrDefault("near_duplicate", 0L);
            long fresh = byStatus.getOrDefault("new", 0L);
            LOG.info("run {}: dedup {} after {} s", runId, byStatus, secondsSince(started));

            // 5. Tokenize and pack the new articles only.
            long[] written = fresh == 0 ? new long[3] : writeNew(spark, cfg, runId, tokenizer, partitions, classified.filter("status = 'new'"));

            LOG.info("run {}: tokenized and wrote {} new articles after {} s", runId, fresh, secondsSince(started));
            Map<String, Long> versions = new LinkedHashMap<>();
            for (String t : List.of(ARTICLES, QUARANTINE, LM_BLOCKS, SFT_PAIRS)) versions.put(t, DeltaTables.version(spark, table(cfg, t)));
            PrepareResult result = new PrepareResult(runId, input, present + fresh, fresh, quarantined, duplicates, near,
                    written[0], written[1], written[2], reasons, versions);
            writeStats(spark, cfg, result, started);
            LOG.info("prepare run {} done: {}", runId, result.toJson());
            return result;
        } finally {
            classified.unpersist();
        }
    }

    /** Writes lm_blocks and sft_pairs, then articles; returns {blocks, tokens, sft pairs} added. */
    private static long[] writeNew(SparkSession spark, PrepareConfig cfg, String runId, String tokenizer, int partitions, Dataset<Row> fresh) {
        int validationPermille = (int) Math.round(cfg.validationFraction() * 1000);
        Dataset<Row> articles = fresh.select(
                        col("article_id"), col("content_hash"), col("title"), col("text"), col("published"), col("url"),
                        col("target"), col("source_file"), col("source_offset"), col("run_id"), col("minhash"), col("lsh"))
                .withColumn("split", when(expr("pmod(xxhash64(article_id), 1000)").lt(validationPermille), lit("validation")).otherwise(lit("train")))
                // Deterministic placement and order: the same new articles always pack into the same blocks.
                .repartition(partitions, expr("pmod(xxhash64(content_hash), " + partitions + ")"))
                .sortWithinPartitions("content_hash");
        Encoder encoder = new Encoder(tokenizer, cfg.tokenizeBatchSize(), cfg.seqLen(), cfg.sft().promptTemplate(), cfg.sft().appendEos());
        StructType encodedSchema = Encoder.outputSchema(articles.schema());
        MapPartitionsFunction<Row, Row> encode = encoder::encode;
        Dataset<Row> encoded = articles.mapPartitions(encode, Encoders.row(encodedSchema)).persist(StorageLevel.MEMORY_AND_DISK());
        try {
            Packer packer = new Packer(cfg.seqLen(), runId);
            MapPartitionsFunction<Row, Row> pack = packer::pack;
            Dataset<Row> blocks = encoded.mapPartitions(pack, Encoders.row(Packer.SCHEMA));
            Row sums = encoded.agg(expr("coalesce(sum(size(lm_ids)), 0)"), expr("count(sft_input_ids)")).first();
            long tokens = sums.getLong(0);
            long blockCount = DeltaTables.insertNew(spark, table(cfg, LM_BLOCKS), blocks, List.of("block_id"), -1);

            long sftCount = 0;
            if (sums.getLong(1) > 0) {
                Dataset<Row> sft = encoded.filter(col("sft_input_ids").isNotNull()).select(
                        col("content_hash"), col("article_id"), col("split"),
                        expr("replace(replace('" + sqlString(cfg.sft().promptTemplate()) + "', '{title}', coalesce(title, '')), '{article}', text)").as("prompt"),
                        col("target").as("response"),
                        col("sft_input_ids").as("input_ids"), col("sft_loss_mask").as("loss_mask"),
                        col("sft_prompt_tokens").as("prompt_tokens"), lit(runId).as("run_id"));
                sftCount = DeltaTables.insertNew(spark, table(cfg, SFT_PAIRS), sft, List.of("content_hash"), sums.getLong(1));
            }

            Dataset<Row> rows = encoded.withColumn("n_tokens", size(col("lm_ids")))
                    .drop("lm_ids", "sft_input_ids", "sft_loss_mask", "sft_prompt_tokens")
                    .withColumn("ingested_at", current_timestamp());
            DeltaTables.insertNew(spark, table(cfg, ARTICLES), rows, List.of("content_hash"), 0);
            return new long[] {blockCount, tokens, sftCount};
        } finally {
            encoded.unpersist();
        }
    }

    private static void writeStats(SparkSession spark, PrepareConfig cfg, PrepareResult r, Instant started) {
        StructType schema = new StructType()
                .add("run_id", DataTypes.StringType).add("started_at", DataTypes.TimestampType).add("finished_at", DataTypes.TimestampType)
                .add("input_path", DataTypes.StringType).add("format", DataTypes.StringType).add("tokenizer", DataTypes.StringType)
                .add("seq_len", DataTypes.IntegerType)
                .add("input", DataTypes.LongType).add("clean", DataTypes.LongType).add("new_articles", DataTypes.LongType)
                .add("quarantined", DataTypes.LongType).add("duplicates", DataTypes.LongType).add("near_duplicates", DataTypes.LongType)
                .add("blocks", DataTypes.LongType).add("tokens", DataTypes.LongType).add("sft_pairs", DataTypes.LongType)
                .add("quarantine_reasons", DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType))
                .add("table_versions", DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType))
                .add("config_json", DataTypes.StringType);
        String config;
        try {
            config = ConfigLoader.jsonMapper().writeValueAsString(cfg);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise the prepare config for the stats table", e);
        }
        Row row = RowFactory.create(r.runId(), Timestamp.from(started), Timestamp.from(Instant.now()), cfg.input(), cfg.format(),
                cfg.tokenizer(), cfg.seqLen(), r.input(), r.clean(), r.newArticles(), r.quarantined(), r.duplicates(),
                r.nearDuplicates(), r.blocks(), r.tokens(), r.sftPairs(),
                scala.jdk.javaapi.CollectionConverters.asScala(r.quarantineReasons()),
                scala.jdk.javaapi.CollectionConverters.asScala(r.tableVersions()), config);
        spark.createDataFrame(List.of(row), schema).write().format("delta").mode("append").save(table(cfg, STATS));
    }

    private static long secondsSince(Instant t) {
        return java.time.Duration.between(t, Instant.now()).toSeconds();
    }

    private static String sqlString(String s) {
        return s.replace("\\", "\\\\").replace("'", "\\'");
    }

    private static void require(String value, String key) {
        if (value == null || value.isBlank()) throw new IllegalArgumentException("prepare." + key + " is not set");
    }
}
