package dev.zerospark.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.zerospark.config.ConfigException;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.clean.CleanStage;
import dev.zerospark.data.dedup.Dedup;
import dev.zerospark.data.dedup.LocalDedup;
import dev.zerospark.data.ingest.Reasons;
import dev.zerospark.data.tokenize.Encoder;
import dev.zerospark.data.tokenize.Packer;
import dev.zerospark.data.tokenize.TokenizerCache;
import dev.zerospark.spark.InternalRows;
import dev.zerospark.spark.RowCache;
import dev.zerospark.table.Articles;
import dev.zerospark.table.LmBlocks;
import dev.zerospark.table.SftPairs;
import dev.zerospark.template.PromptTemplate;
import dev.zerospark.template.PromptTemplateException;
import dev.zerospark.template.PromptTemplates;
import dev.zerospark.tokenizer.TokenizerProvenance;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.when;

/**
 * The {@code prepare} job: ingest → clean → quarantine → exact and near dedup → tokenize → pack, written as Delta
 * tables under {@code output}: {@code articles}, {@code quarantine}, {@code lm_blocks}, {@code sft_pairs} (when
 * any article has a target) and {@code stats}. All writes are insert-only MERGEs on deterministic keys and
 * {@code articles} is written last, so a rerun (also after a crash) adds only what is missing; the blocks of a run
 * that crashed before its articles commit are deleted before its articles are packed again ({@link OrphanBlocks}).
 */
public final class PrepareJob {
    private static final Logger LOG = LoggerFactory.getLogger(PrepareJob.class);

    public static final String ARTICLES = Articles.CONTRACT.table();
    public static final String QUARANTINE = "quarantine";
    public static final String LM_BLOCKS = LmBlocks.CONTRACT.table();
    public static final String SFT_PAIRS = SftPairs.CONTRACT.table();
    public static final String STATS = "stats";

    // Columns each table keeps Delta min/max statistics for: keys, lineage and small values, never prose or arrays.
    private static final List<String> ARTICLE_STATS = List.of(Articles.ARTICLE_ID, Articles.CONTENT_HASH, Articles.PUBLISHED, Articles.SOURCE_FILE,
            Articles.SOURCE_OFFSET, Articles.RUN_ID, Articles.SPLIT, Articles.N_TOKENS, Articles.INGESTED_AT);
    private static final List<String> QUARANTINE_STATS = List.of("quarantine_id", "reason", "source_file", "source_offset", "run_id", "article_id", "quarantined_at");
    private static final List<String> BLOCK_STATS = List.of(LmBlocks.BLOCK_ID, LmBlocks.SPLIT, LmBlocks.RUN_ID);
    private static final List<String> SFT_STATS = List.of(SftPairs.CONTENT_HASH, SftPairs.ARTICLE_ID, SftPairs.SPLIT, SftPairs.PROMPT_TOKENS, SftPairs.RUN_ID);
    /** The tables whose rows hold token ids or counts: each records the tokenizer that made them (table properties). */
    public static final List<String> TOKENIZED = List.of(ARTICLES, LM_BLOCKS, SFT_PAIRS);

    /** Up to this many records that are not new, their keys are broadcast rather than shuffled against the articles. */
    private static final long BROADCAST_DROP_LIMIT = 5_000_000;

    private PrepareJob() {}

    public static String table(PrepareConfig cfg, String name) {
        return cfg.output().replaceAll("/+$", "") + "/" + name;
    }

    public static PrepareResult run(SparkSession spark, PrepareConfig cfg) {
        require(cfg.input(), "input");
        require(cfg.output(), "output");
        require(cfg.tokenizer(), "tokenizer");
        LocalDedup.checkDriverHeap(cfg.dedup(), Runtime.getRuntime().maxMemory()); // before hours of ingest, not at dedup
        String runId = UUID.randomUUID().toString();
        Instant started = Instant.now();
        LOG.info("prepare run {}: {} ({}) -> {}", runId, cfg.input(), cfg.format(), cfg.output());
        String tokenizer = TokenizerCache.distribute(spark, cfg.tokenizer());
        TokenizerCache.get(tokenizer); // fail fast on the driver if the tokenizer is unusable
        TokenizerProvenance provenance = TokenizerCache.provenance(cfg.tokenizer(), tokenizer);
        checkTokenizer(spark, cfg, provenance);
        PromptTemplate template = template(cfg);
        checkTemplate(spark, cfg, template);

        // 1-2. Ingest and clean in one pass; everything downstream reads this one persisted dataset.
        try (RowCache cleaned = RowCache.persist(CleanStage.read(spark, cfg, runId), "prepare " + runId + ": cleaned records")) {
            return runCleaned(spark, cfg, runId, started, tokenizer, provenance, template, cleaned.frame());
        }
    }

    /**
     * Refuses an output whose tables were tokenized with another tokenizer.json: ids from two vocabularies in one
     * table train nonsense without any error. A table that records none (written before prepare recorded it) can't
     * be checked: a warning says so.
     */
    static void checkTokenizer(SparkSession spark, PrepareConfig cfg, TokenizerProvenance provenance) {
        for (String name : TOKENIZED) {
            String path = table(cfg, name);
            if (!DeltaTables.exists(spark, path)) continue;
            var recorded = TokenizerProvenance.fromProperties(DeltaTables.properties(spark, path), path);
            if (recorded.isEmpty()) {
                LOG.warn("table {} records no tokenizer (written before prepare recorded one): cannot check that its token ids come from {}",
                        path, provenance);
            } else if (!recorded.get().sha256().equals(provenance.sha256())) {
                throw new TokenizerMismatchException(path, recorded.get(), provenance);
            }
        }
    }

    /** The configured SFT template, resolved on the driver (a file is read once, here). */
    static PromptTemplate template(PrepareConfig cfg) {
        try {
            return PromptTemplates.resolve(cfg.sft().template());
        } catch (PromptTemplateException e) {
            throw new ConfigException("prepare.sft.template", "prepare.sft.template: " + e.getMessage(), e);
        }
    }

    /** The table properties that record the template {@code sft_pairs}' prompts are rendered with (augment records them too). */
    public static Map<String, String> templateProperties(PromptTemplate template) {
        return Map.of(SftPairs.TEMPLATE_ID_PROPERTY, template.id(), SftPairs.TEMPLATE_SHA256_PROPERTY, sha256(template.text()));
    }

    /**
     * Refuses an output whose sft_pairs were rendered with another template: an existing table keeps its first
     * prompts, so a second format would only be added to it. A table that records none predates the record.
     */
    static void checkTemplate(SparkSession spark, PrepareConfig cfg, PromptTemplate template) {
        String path = table(cfg, SFT_PAIRS);
        if (!DeltaTables.exists(spark, path)) return;
        Map<String, String> recorded = DeltaTables.properties(spark, path);
        String sha = recorded.get(SftPairs.TEMPLATE_SHA256_PROPERTY);
        String id = recorded.get(SftPairs.TEMPLATE_ID_PROPERTY);
        Map<String, String> given = templateProperties(template);
        if (sha == null) {
            LOG.warn("table {} records no template (written before prepare recorded one): cannot check that its prompts are {}'s", path, template.id());
        } else if (!sha.equals(given.get(SftPairs.TEMPLATE_SHA256_PROPERTY)) || !template.id().equals(id)) {
            throw new TemplateMismatchException(path, id, sha, template.id(), given.get(SftPairs.TEMPLATE_SHA256_PROPERTY));
        }
    }

    private static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static PrepareResult runCleaned(SparkSession spark, PrepareConfig cfg, String runId, Instant started,
                                            String tokenizer, TokenizerProvenance provenance, PromptTemplate template, Dataset<Row> cleaned) {
        // One pass for the input count, the quarantine reasons (null reason = passed cleaning) and the records that
        // are no article at all (WARC request, warcinfo, ...): those are counted apart and written nowhere.
        Map<String, Long> reasons = new java.util.TreeMap<>();
        Map<String, Long> skipped = new java.util.TreeMap<>();
        long input = 0;
        Column notArticle = col("reason").equalTo(Reasons.NOT_AN_ARTICLE);
        for (Row r : cleaned.groupBy(col("reason"), when(notArticle, col("detail")).as("kind")).count().collectAsList()) {
            if (Reasons.NOT_AN_ARTICLE.equals(r.getString(0))) {
                skipped.merge("warc_" + (r.isNullAt(1) ? "untyped" : r.getString(1)), r.getLong(2), Long::sum);
                continue;
            }
            input += r.getLong(2);
            if (!r.isNullAt(0)) reasons.merge(r.getString(0), r.getLong(2), Long::sum);
        }
        long quarantined = reasons.values().stream().mapToLong(Long::longValue).sum();
        LOG.info("run {}: ingested and cleaned {} records ({} quarantined) after {} s", runId, input, quarantined, secondsSince(started));

        // 3. Quarantine: keyed on lineage + reason, so a rerun inserts nothing. Written from a second driver thread:
        // a Delta commit is mostly driver latency, which the dedup jobs fill.
        ExecutorService writers = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "prepare-writer-" + runId.substring(0, 8));
            t.setDaemon(true);
            return t;
        });
        List<Future<?>> pending = new java.util.ArrayList<>();
        try {
            if (quarantined > 0) {
                Dataset<Row> q = cleaned.filter(col("reason").isNotNull().and(not(notArticle))).select(
                        sha2(concat_ws("\u0001", col("source_file"), col("source_offset").cast("string"), col("reason")), 256).as("quarantine_id"),
                        col("reason"), col("detail"), col("raw_prefix"), col("source_file"), col("source_offset"), col("run_id"),
                        col("article_id"), current_timestamp().as("quarantined_at")); // one reason per record: ids are unique
                pending.add(writers.submit(() -> DeltaTables.insertNew(spark, table(cfg, QUARANTINE), q, List.of("quarantine_id"), QUARANTINE_STATS, Map.of(), quarantined)));
            }
            return dedupAndWrite(spark, cfg, runId, started, tokenizer, provenance, template, cleaned, input, quarantined, reasons, skipped, writers, pending);
        } finally {
            awaitAll(pending); // also on failure: no write is left running behind the caller's back
            writers.shutdown();
        }
    }

    private static PrepareResult dedupAndWrite(SparkSession spark, PrepareConfig cfg, String runId, Instant started, String tokenizer,
                                               TokenizerProvenance provenance, PromptTemplate template, Dataset<Row> cleaned, long input, long quarantined, Map<String, Long> reasons,
                                               Map<String, Long> skipped, ExecutorService writers, List<Future<?>> pending) {

        // 4. Dedup against this run and the table, on key columns; the answer is the records that are not new.
        String articlesPath = table(cfg, ARTICLES);
        Dataset<Row> existing = DeltaTables.exists(spark, articlesPath) ? spark.read().format("delta").load(articlesPath) : null;
        Dataset<Row> good = cleaned.filter(col("reason").isNull());
        Dedup.Outcome dedup = Dedup.notNew(good, input - quarantined, existing, cfg.dedup());
        Dataset<Row> notNew = dedup.notNew();
        try {
            Map<String, Long> byStatus = new LinkedHashMap<>();
            for (Row r : notNew.groupBy("status").count().collectAsList()) byStatus.put(r.getString(0), r.getLong(1));
            long present = byStatus.getOrDefault("present", 0L);
            long duplicates = byStatus.getOrDefault("duplicate", 0L);
            long near = byStatus.getOrDefault("near_duplicate", 0L);
            long fresh = input - quarantined - present - duplicates - near;
            LOG.info("run {}: dedup {} and {} new after {} s", runId, byStatus, fresh, secondsSince(started));

            // 5. Tokenize and pack the new articles only. A small drop list is broadcast so the articles stay where they are.
            long dropped = present + duplicates + near;
            Dataset<Row> keys = notNew.select("source_file", "source_offset");
            Dataset<Row> newArticles = good.join(dropped <= BROADCAST_DROP_LIMIT ? broadcast(keys) : keys,
                    new String[] {"source_file", "source_offset"}, "left_anti");
            OrphanBlocks.delete(spark, table(cfg, LM_BLOCKS), articlesPath); // also when nothing is new: training reads lm_blocks
            long[] written = fresh == 0 ? new long[4] : writeNew(spark, cfg, runId, tokenizer, provenance.toProperties(), template, newArticles, writers, pending);
            awaitAll(pending); // the quarantine commit, before its version is read

            LOG.info("run {}: tokenized and wrote {} new articles after {} s", runId, fresh, secondsSince(started));
            Map<String, Long> versions = new LinkedHashMap<>();
            for (String t : List.of(ARTICLES, QUARANTINE, LM_BLOCKS, SFT_PAIRS)) versions.put(t, DeltaTables.version(spark, table(cfg, t)));
            PrepareResult result = new PrepareResult(runId, input, present + fresh, fresh, quarantined, duplicates, near,
                    written[0], written[1], written[2], written[3], reasons, skipped, dedup.fallbacks(), versions);
            writeStats(spark, cfg, result, started);
            LOG.info("prepare run {} done: {}", runId, result.toJson());
            return result;
        } finally {
            notNew.unpersist();
        }
    }

    /** Writes lm_blocks and sft_pairs, then articles; returns {blocks, tokens, sft pairs, sft prompts cut} added. */
    private static long[] writeNew(SparkSession spark, PrepareConfig cfg, String runId, String tokenizer, Map<String, String> tokenizedBy,
                                   PromptTemplate template, Dataset<Row> fresh, ExecutorService writers, List<Future<?>> pending) {
        int validationPermille = (int) Math.round(cfg.validationFraction() * 1000);
        // Partitions and their order follow the input splits, so the same new articles pack into the same blocks.
        // The cleaned records' columns of the same names become the articles' columns (CleanStage writes them).
        Dataset<Row> articles = fresh.select(
                        col(Articles.ARTICLE_ID), col(Articles.CONTENT_HASH), col(Articles.TITLE), col(Articles.TEXT), col(Articles.PUBLISHED),
                        col(Articles.URL), col(Articles.TARGET), col(Articles.SOURCE_FILE), col(Articles.SOURCE_OFFSET), col(Articles.RUN_ID),
                        col(Articles.MINHASH), col(Articles.LSH))
                .withColumn(Articles.SPLIT, when(expr("pmod(xxhash64(" + Articles.ARTICLE_ID + "), 1000)").lt(validationPermille), lit(Articles.VALIDATION))
                        .otherwise(lit(Articles.TRAIN)));
        Encoder encoder = new Encoder(tokenizer, cfg.tokenizeBatchSize(), cfg.seqLen(), template, cfg.sft().appendEos());
        StructType in = articles.schema();
        JavaRDD<InternalRow> encodedRows = InternalRows.of(articles).mapPartitions(rows -> encoder.encode(in, rows));
        try (RowCache cache = RowCache.of(spark, encodedRows, Encoder.outputSchema(in), "prepare " + runId + ": encoded articles and blocks")) {
            Dataset<Row> encoded = cache.frame();
            Dataset<Row> docs = encoded.filter(col("kind").equalTo(Encoder.ARTICLE));
            Row sums = encoded.agg(expr("coalesce(sum(" + Articles.N_TOKENS + "), 0)"), expr("count(" + Encoder.SFT_INPUT_IDS + ")"),
                    expr("count_if(kind = " + Encoder.BLOCK + ")"), expr("count_if(" + Encoder.SFT_TRUNCATED + ")")).first();
            long tokens = sums.getLong(0);

            // Blocks packed inside partitions, plus the partitions' leftovers packed together here.
            Packer packer = new Packer(cfg.seqLen());
            List<Packer.Tail> tails = new java.util.ArrayList<>();
            for (Row t : encoded.filter(col("kind").equalTo(Encoder.TAIL)).select("block_split", "tail_first_doc", LmBlocks.INPUT_IDS).collectAsList()) {
                List<Integer> ids = t.getList(2);
                tails.add(new Packer.Tail(t.getString(0), t.getString(1), ids.stream().mapToInt(Integer::intValue).toArray()));
            }
            List<Row> tailBlocks = new java.util.ArrayList<>();
            for (Packer.Block b : packer.packTails(tails)) tailBlocks.add(RowFactory.create(b.id(), b.split(), b.ids(), runId));
            Dataset<Row> blocks = encoded.filter(col("kind").equalTo(Encoder.BLOCK))
                    .select(col(LmBlocks.BLOCK_ID), col("block_split").as(LmBlocks.SPLIT), col(LmBlocks.INPUT_IDS), lit(runId).as(LmBlocks.RUN_ID))
                    .unionByName(spark.createDataFrame(tailBlocks, Packer.SCHEMA));
            long expectedBlocks = sums.getLong(2) + tailBlocks.size();
            // lm_blocks and sft_pairs are independent: two driver threads, so one's commit overlaps the other's write.
            Future<Long> blockWrite = writers.submit(() -> DeltaTables.insertNew(spark, table(cfg, LM_BLOCKS), blocks, LmBlocks.CONTRACT.key(), BLOCK_STATS, tokenizedBy, expectedBlocks));
            pending.add(blockWrite); // awaited by the caller too, should anything below fail

            long sftCount = 0;
            if (sums.getLong(1) > 0) {
                Dataset<Row> sft = docs.filter(col(Encoder.SFT_INPUT_IDS).isNotNull()).select(
                        col(Articles.CONTENT_HASH).as(SftPairs.CONTENT_HASH), col(Articles.ARTICLE_ID).as(SftPairs.ARTICLE_ID),
                        col(Articles.SPLIT).as(SftPairs.SPLIT), col(Encoder.SFT_PROMPT).as(SftPairs.PROMPT),
                        col(Articles.TARGET).as(SftPairs.RESPONSE),
                        col(Encoder.SFT_INPUT_IDS).as(SftPairs.INPUT_IDS), col(Encoder.SFT_LOSS_MASK).as(SftPairs.LOSS_MASK),
                        col(Encoder.SFT_PROMPT_TOKENS).as(SftPairs.PROMPT_TOKENS), lit(runId).as(SftPairs.RUN_ID));
                Map<String, String> sftProperties = new LinkedHashMap<>(tokenizedBy);
                sftProperties.putAll(templateProperties(template));
                sftCount = DeltaTables.insertNew(spark, table(cfg, SFT_PAIRS), sft, SftPairs.CONTRACT.key(), SFT_STATS, sftProperties, sums.getLong(1));
            }

            long blockCount = await(blockWrite);

            // articles last: a record in it is "present" to the next run, so everything derived from it must exist first.
            Dataset<Row> rows = docs.select(Articles.CONTRACT.names().stream().filter(n -> !n.equals(Articles.INGESTED_AT))
                            .map(org.apache.spark.sql.functions::col).toArray(Column[]::new))
                    .withColumn(Articles.INGESTED_AT, current_timestamp());
            DeltaTables.insertNew(spark, table(cfg, ARTICLES), rows, Articles.CONTRACT.key(), ARTICLE_STATS, tokenizedBy, 0);
            return new long[] {blockCount, tokens, sftCount, sftCount == 0 ? 0 : sums.getLong(3)};
        } catch (RuntimeException | Error e) {
            // Before the cache goes: a write still running on the other thread would otherwise tokenize it all again.
            try {
                awaitAll(pending);
            } catch (RuntimeException other) {
                e.addSuppressed(other);
            }
            throw e;
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
                .add("sft_truncated", DataTypes.LongType)
                .add("quarantine_reasons", DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType))
                .add("skipped", DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType))
                .add("dedup_fallbacks", DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType))
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
                r.nearDuplicates(), r.blocks(), r.tokens(), r.sftPairs(), r.sftTruncated(),
                scala.jdk.javaapi.CollectionConverters.asScala(r.quarantineReasons()),
                scala.jdk.javaapi.CollectionConverters.asScala(r.skipped()),
                scala.jdk.javaapi.CollectionConverters.asScala(r.dedupFallbacks()),
                scala.jdk.javaapi.CollectionConverters.asScala(r.tableVersions()), config);
        // mergeSchema: a stats table written before a column was added takes the new column instead of failing.
        spark.createDataFrame(List.of(row), schema).write().format("delta").mode("append").option("mergeSchema", "true").save(table(cfg, STATS));
    }

    private static <T> T await(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a Delta write", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException("Delta write failed", e.getCause());
        }
    }

    /** Waits for every write; the first failure is thrown once all have finished. */
    private static void awaitAll(List<Future<?>> pending) {
        RuntimeException first = null;
        for (Future<?> f : pending) {
            try {
                await(f);
            } catch (RuntimeException e) {
                if (first == null) first = e;
                else first.addSuppressed(e);
            }
        }
        pending.clear();
        if (first != null) throw first;
    }

    private static long secondsSince(Instant t) {
        return java.time.Duration.between(t, Instant.now()).toSeconds();
    }

    private static void require(String value, String key) {
        if (value == null || value.isBlank()) throw new IllegalArgumentException("prepare." + key + " is not set");
    }
}
