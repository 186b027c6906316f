package dev.zerospark.data.generate;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import dev.zerospark.config.ConfigException;
import dev.zerospark.data.DeltaTables;
import dev.zerospark.data.NotADeltaTableException;
import dev.zerospark.spark.Contracts;
import dev.zerospark.data.generate.internal.CommitPipeline;
import dev.zerospark.data.generate.internal.ExampleCandidates;
import dev.zerospark.data.generate.internal.GenerationParams;
import dev.zerospark.data.generate.internal.ModelCache;
import dev.zerospark.data.generate.internal.ModelFiles;
import dev.zerospark.data.generate.internal.PartitionGenerator;
import dev.zerospark.data.generate.internal.RowGenerator;
import dev.zerospark.data.generate.internal.RunColumns;
import dev.zerospark.data.generate.internal.ServiceClients;
import dev.zerospark.data.generate.internal.ServicePartitionGenerator;
import dev.zerospark.data.generate.internal.ServicePipeline;
import dev.zerospark.data.generate.internal.TaskDealer;
import dev.zerospark.model.HfConfigs;
import dev.zerospark.model.ModelConfig;
import dev.zerospark.spark.TaskHadoopConf;
import dev.zerospark.table.Generations;
import dev.zerospark.template.ExampleChooser;
import dev.zerospark.template.PromptTemplate;
import dev.zerospark.template.PromptTemplates;
import dev.zerospark.template.TemplateInput;
import dev.zerospark.tokenizer.HfTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code generate}: runs a model over a Delta table of articles and MERGEs one row per article into a generations
 * table ({@link Generations}), keyed by (article_id, model_id, pipeline, params_hash).
 *
 * <p>Resumable and idempotent: the input is read at one version, pinned on the driver; the articles the output
 * already holds for this model, template and parameters are left out (an anti-join); the rest are generated in
 * chunks of {@code partitions} tasks, dealt by text length so the tasks end together, and each chunk is committed with
 * an insert-only MERGE on the key while the next one generates (one commit in flight, in chunk order). A killed run keeps its committed chunks, a rerun generates only what is missing, and a retried task or
 * a chunk committed twice inserts nothing twice.
 */
public final class GenerateJob {
    private static final Logger LOG = LoggerFactory.getLogger(GenerateJob.class);
    /** Columns the output keeps Delta min/max statistics for: the key and the small values, not prompt or completion. */
    private static final List<String> STATS_COLUMNS = List.of(Generations.ARTICLE_ID, Generations.MODEL_ID, Generations.PIPELINE,
            Generations.PARAMS_HASH, Generations.FINISH_REASON, Generations.RUN_ID);
    private static final String BUCKET = "_zs_chunk";
    /** The output's key of an input row already generated, null when it is still to do. */
    private static final String DONE = "_zs_done";

    private GenerateJob() {}

    /** Told after each chunk's commit: the chunk's index, the number of chunks, the output's version after it. */
    public interface ChunkListener {
        /** Called on the commit thread after the commit; chunks are committed, and told, in order. */
        void committed(int chunk, int chunks, long outputVersion);

        /** Called on the commit thread just before chunk {@code chunk} is written, while the next chunk may be generating. */
        default void committing(int chunk, int chunks) {}

        /**
         * Called on the caller's thread once the input is counted, before the first chunk: the one-time start-up (the
         * driver's checks, the model id, the counting pass) is over. {@code chunks} is 0 when nothing is to generate.
         */
        default void planned(long toGenerate, int chunks) {}

        /** Called on the caller's thread when chunk {@code chunk}'s tasks have all returned, before its commit is queued. */
        default void generated(int chunk, int chunks, long rows) {}
    }

    public static GenerateSummary run(SparkSession spark, GenerateOptions o) {
        return run(spark, o, (chunk, chunks, version) -> { });
    }

    public static GenerateSummary run(SparkSession spark, GenerateOptions o, ChunkListener listener) {
        String runId = UUID.randomUUID().toString();
        long began = System.nanoTime();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        PromptTemplate template = PromptTemplates.resolve(o.template());
        if (template.takesExamples() && o.fewShot() == null) throw ExamplesTableException.missing(template.id());
        if (!template.takesExamples() && o.fewShot() != null) throw ExamplesTableException.unused(template.id(), o.fewShot().table());
        GenerationParams params = GenerationParams.of(o.template(), template, o.maxNewTokens(), o.temperature(), o.topK(), o.topP(),
                o.seed(), o.stop(), o.dtype(), o.batchTokens());
        ServiceClients.Spec service = null;
        String modelId;
        if (o.service() != null) {
            service = ServicePipeline.check(spark, o);
            modelId = ServicePipeline.modelId(o.service());
            params = params.with("api=" + o.service().api());
        } else {
            checkModel(o, template, conf);
            modelId = ModelFiles.modelId(o.model(), conf);
        }

        if (!DeltaTables.exists(spark, o.input())) throw new NotADeltaTableException(o.input());
        long inputVersion = o.inputVersion() != null ? o.inputVersion() : DeltaTables.version(spark, o.input());
        Broadcast<ExampleChooser> examples = null;
        if (o.fewShot() != null) {
            FewShotOptions f = o.fewShot();
            ExampleCandidates.Pinned pinned = ExampleCandidates.load(spark, f.table(), f.maxCandidates(),
                    spark.read().format("delta").option("versionAsOf", inputVersion).load(o.input()), o.idCol(), o.textCol());
            params = params.with("examples=" + f.table() + "@" + pinned.version()).with("shots=" + f.shots());
            examples = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(pinned.chooser());
            LOG.info("generate: {} few-shot candidates from {} at version {}, {} per prompt", pinned.chooser().candidates(), f.table(),
                    pinned.version(), f.shots());
        }
        String paramsHash = params.hash();
        LOG.info("generate run {}: model {} (model_id {}), template {}, params_hash {}", runId, o.service() != null ? "(service)" : o.model(),
                modelId, template.id(), paramsHash);
        // One pass over the input counts its rows, the keyed ones and those the output lacks; cached, so that the
        // chunks read the input and the output's keys once. The anti-join is a left join marked by the output's key.
        long checked = System.nanoTime();
        Dataset<Row> selected = select(spark, o, inputVersion);
        Column toGenerate = col(PartitionGenerator.ID).isNotNull();
        Dataset<Row> marked = selected;
        if (DeltaTables.exists(spark, o.output())) {
            Dataset<Row> done = spark.read().format("delta").load(o.output())
                    .where(col(Generations.MODEL_ID).equalTo(modelId).and(col(Generations.PIPELINE).equalTo(template.id()))
                            .and(col(Generations.PARAMS_HASH).equalTo(paramsHash)))
                    // The service pipeline retries its failed rows (a 429 storm, an outage); a local model's errors are final.
                    .where(service != null ? col(Generations.FINISH_REASON).notEqual(RowGenerator.ERROR) : lit(true))
                    .select(col(Generations.ARTICLE_ID).as(DONE)).distinct();
            marked = selected.join(done, col(PartitionGenerator.ID).equalTo(col(DONE)), "left_outer");
            toGenerate = toGenerate.and(col(DONE).isNull());
        }
        marked = marked.persist(StorageLevel.MEMORY_AND_DISK());
        try {
            Row counted = marked.agg(count(lit(1)), count(col(PartitionGenerator.ID)), count(when(toGenerate, lit(1)))).first();
            if (counted.getLong(0) != counted.getLong(1)) {
                LOG.warn("{} rows of {} have a null {} and cannot be keyed: they are left out", counted.getLong(0) - counted.getLong(1), o.input(), o.idCol());
            }
            long articles = counted.getLong(1);
            long todoCount = counted.getLong(2);
            Dataset<Row> todo = marked.where(toGenerate)
                    .select(PartitionGenerator.ID, PartitionGenerator.TITLE, PartitionGenerator.TEXT, PartitionGenerator.HASH);
            long alreadyDone = articles - todoCount;
            int partitions = o.partitions() != null ? o.partitions() : spark.sparkContext().defaultParallelism();
            long perChunk = (long) partitions * o.rowsPerTask();
            int chunks = (int) Math.max(1, (todoCount + perChunk - 1) / perChunk);
            LOG.info("generate: {} articles at input version {}, {} already done, {} to generate in {} chunks of {} tasks;"
                            + " start-up {} ms (checks and model id {} ms, counting pass {} ms)", articles, inputVersion, alreadyDone, todoCount,
                    chunks, partitions, millis(began), (checked - began) / 1_000_000, millis(checked));
            listener.planned(todoCount, todoCount > 0 ? chunks : 0);
            int shots = o.fewShot() == null ? 0 : o.fewShot().shots();
            MapPartitionsFunction<Row, Row> generator = service != null
                    ? new ServicePartitionGenerator(service, ServicePipeline.api(o.service()), params, o.textCol(),
                            new RunColumns(params.templateId(), modelId, paramsHash, params.seed(), runId, inputVersion), examples, shots)
                    : new PartitionGenerator(o.model(), modelId, TaskHadoopConf.forLocations(conf, List.of(o.model())),
                            params, o.textCol(), runId, inputVersion, examples, shots, executorCores(spark.sparkContext()));
            // A retried service row replaces its error row; every other existing row stays as it is (insert-only).
            String replaceWhen = service == null ? null : "t." + Generations.FINISH_REASON + " = '" + RowGenerator.ERROR + "' AND s."
                    + Generations.FINISH_REASON + " <> '" + RowGenerator.ERROR + "'";
            StructType schema = Contracts.schema(Generations.CONTRACT);
            Dataset<Row> bucketed = todo.withColumn(BUCKET, pmod(xxhash64(col(PartitionGenerator.ID)), lit(chunks)));
            long start = System.nanoTime();
            long[] totals = new long[5]; // errors, truncated, prompt tokens, completion tokens, examples dropped
            long processed = 0;
            long generated;
            String description = spark.sparkContext().getLocalProperty("spark.job.description"); // the caller's, restored after
            // Chunk c commits on the pipeline's thread while chunk c+1 generates here.
            try (CommitPipeline commits = CommitPipeline.start()) {
                for (int c = 0; c < chunks && todoCount > 0; c++) {
                    spark.sparkContext().setJobDescription(generating(c, chunks));
                    long chunkStart = System.nanoTime();
                    // Dealt by cost to exactly `partitions` tasks, so that they end together.
                    JavaRDD<Row> dealt = TaskDealer.deal(bucketed.where(col(BUCKET).equalTo(c)).drop(BUCKET), partitions);
                    Dataset<Row> results = spark.createDataFrame(dealt.mapPartitions(generator::call), RunColumns.schema())
                            .persist(StorageLevel.MEMORY_AND_DISK());
                    Row s;
                    try {
                        // Generates once, into the cache the MERGE then reads: a MERGE may scan its source more than once.
                        s = results.agg(count(lit(1)),
                                sum(when(col(Generations.FINISH_REASON).equalTo(RowGenerator.ERROR), 1).otherwise(0)),
                                sum(when(col(Generations.TRUNCATED), 1).otherwise(0)),
                                sum(col(Generations.PROMPT_TOKENS)), sum(col(Generations.COMPLETION_TOKENS)),
                                sum(col(RunColumns.EXAMPLES_DROPPED))).first();
                    } catch (RuntimeException e) {
                        results.unpersist();
                        throw e;
                    }
                    long rows = s.getLong(0);
                    LOG.info("generate: chunk {}/{} generated {} rows in {} ms", c, chunks, rows, millis(chunkStart));
                    listener.generated(c, chunks, rows);
                    if (rows == 0) {
                        results.unpersist();
                        continue;
                    }
                    for (int k = 0; k < totals.length; k++) totals[k] += s.getLong(k + 1);
                    processed += rows;
                    int chunk = c;
                    long done = alreadyDone + processed;
                    long left = todoCount - processed;
                    long completionTokens = totals[3];
                    long seen = processed;
                    commits.submit(() -> {
                        spark.sparkContext().setJobDescription("generate: commit chunk " + chunk + "/" + chunks);
                        listener.committing(chunk, chunks);
                        long commitStart = System.nanoTime();
                        long written;
                        try {
                            written = DeltaTables.insertOrReplace(spark, o.output(), results.drop(RunColumns.EXAMPLES_DROPPED),
                                    Generations.CONTRACT.key(), STATS_COLUMNS, Map.of(), rows, replaceWhen);
                        } finally {
                            results.unpersist();
                        }
                        long version = DeltaTables.version(spark, o.output());
                        LOG.info("generate: chunk {}/{} committed {} rows in {} ms", chunk, chunks, written, millis(commitStart));
                        progress(done, articles, completionTokens, start, left, seen);
                        listener.committed(chunk, chunks, version);
                        return written;
                    });
                }
                long tail = System.nanoTime();
                commits.join();
                generated = commits.total();
                LOG.info("generate: waited {} ms for the last commit", millis(tail));
            } finally {
                spark.sparkContext().setJobDescription(description);
            }
            if (!DeltaTables.exists(spark, o.output())) { // nothing to generate: still leave the (empty) table behind
                DeltaTables.insertNew(spark, o.output(), spark.createDataFrame(List.of(), schema), Generations.CONTRACT.key(), STATS_COLUMNS, Map.of(), 0);
            }
            double seconds = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
            return new GenerateSummary(runId, inputVersion, articles, generated, alreadyDone, totals[0], totals[1], totals[2], totals[3],
                    totals[3] / seconds, DeltaTables.version(spark, o.output()), totals[4]);
        } finally {
            marked.unpersist();
            if (examples != null) examples.destroy();
        }
    }

    /** The Spark job description of chunk {@code c}'s generation (the UI's, and tests' handle on it). */
    static String generating(int c, int chunks) {
        return "generate: generate chunk " + c + "/" + chunks;
    }

    /** The selected input rows as (id, title, text, content hash), one row per id. */
    private static Dataset<Row> select(SparkSession spark, GenerateOptions o, long version) {
        Dataset<Row> table = spark.read().format("delta").option("versionAsOf", version).load(o.input());
        List<String> columns = Arrays.asList(table.columns());
        if (!columns.contains(o.idCol())) throw new InputColumnException(o.input(), "--id-col", o.idCol(), columns);
        if (!columns.contains(o.textCol())) throw new InputColumnException(o.input(), "--text-col", o.textCol(), columns);
        Column title = columns.contains(o.titleCol()) ? col(o.titleCol()).cast("string") : lit(null).cast("string");
        if (!columns.contains(o.titleCol())) LOG.warn("input {} has no title column {}: prompts get an empty title", o.input(), o.titleCol());
        // prepare's articles carry their content hash under the generations table's column name; other tables get one.
        Column hash = columns.contains(Generations.CONTENT_HASH) ? col(Generations.CONTENT_HASH).cast("string") : sha2(col(o.textCol()).cast("string"), 256);
        if (o.where() != null) {
            try {
                table = table.where(o.where());
            } catch (Exception e) { // Scala's AnalysisException (parse errors included) is checked to Java and undeclared
                if (!(e instanceof org.apache.spark.sql.AnalysisException)) throw e;
                throw new ConfigException("generate.where", "--where \"" + o.where() + "\" is not a valid predicate on " + o.input() + ": " + e.getMessage(), e);
            }
        }
        Dataset<Row> rows = table.select(col(o.idCol()).cast("string").as(PartitionGenerator.ID), title.as(PartitionGenerator.TITLE),
                col(o.textCol()).cast("string").as(PartitionGenerator.TEXT), hash.as(PartitionGenerator.HASH)).dropDuplicates(PartitionGenerator.ID);
        // Lowest ids first, so that a rerun with the same limit selects the same articles.
        return o.limit() != null ? rows.orderBy(PartitionGenerator.ID).limit((int) Math.min(Integer.MAX_VALUE, o.limit())) : rows;
    }

    /**
     * The driver's checks before any task: a supported dtype, a model directory with config and tokenizer whose
     * vocabularies agree, and room in the context for the template with max_new_tokens.
     */
    private static void checkModel(GenerateOptions o, PromptTemplate template, Configuration conf) {
        ModelCache.checkDtype(o.dtype());
        Path scratch = null;
        try {
            scratch = Files.createTempDirectory("zs-generate-");
            Path meta = ModelFiles.metadata(o.model(), conf, scratch);
            if (!Files.isRegularFile(meta.resolve("config.json"))) {
                throw new ConfigException("generate.model", "model " + o.model() + " has no config.json: pass an HF model directory");
            }
            ModelConfig mc = HfConfigs.read(meta);
            try (HfTokenizer tok = HfTokenizer.load(meta)) {
                if (tok.vocabSize() > mc.vocabSize()) throw new VocabularyMismatchException(o.model(), mc.vocabSize(), tok.vocabSize());
                int room = mc.maxPositions() - o.maxNewTokens();
                if (room < 1) {
                    throw new ConfigException("generate.max_new_tokens", "max_new_tokens " + o.maxNewTokens() + " leaves no room for a prompt in the context of "
                            + mc.maxPositions() + " tokens of model " + o.model());
                }
                template.render(TemplateInput.of("", ""), tok, room); // throws, naming the template, when even an empty article does not fit
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the config and tokenizer of model " + o.model(), e);
        } finally {
            if (scratch != null) deleteTree(scratch);
        }
    }

    /**
     * The cores of one executor, which its generating tasks share: a local master's slots times spark.task.cpus, else
     * spark.executor.cores; 0 when unset (the executor then counts its processors).
     */
    private static int executorCores(SparkContext sc) {
        if (sc.isLocal()) return sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile()) * sc.conf().getInt("spark.task.cpus", 1);
        return sc.conf().getInt("spark.executor.cores", 0);
    }

    private static long millis(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1_000_000;
    }

    private static void progress(long done, long total, long completionTokens, long startNanos, long left, long processed) {
        double seconds = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
        long eta = processed == 0 ? 0 : Math.round(seconds / processed * left);
        LOG.info("generate: {}/{} articles, {} tokens/s, ETA {}m{}s", done, total, String.format(java.util.Locale.ROOT, "%.1f", completionTokens / seconds),
                eta / 60, eta % 60);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        } catch (IOException e) {
            LOG.warn("cannot delete scratch directory {}: {}", dir, e.toString());
        }
    }
}
