package dev.zerospark.data.generate.internal;

import ai.djl.Device;
import dev.zerospark.generate.BatchGenerator;
import dev.zerospark.generate.GenerationOptions;
import dev.zerospark.generate.TextCompleter;
import dev.zerospark.spark.TaskHadoopConf;
import dev.zerospark.table.Generations;
import dev.zerospark.template.PromptTemplate;
import dev.zerospark.template.PromptTemplates;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The task side of {@code generate}: reads one partition of articles (columns {@link #ID}, {@link #TITLE},
 * {@link #TEXT}, {@link #HASH}), leases the executor's cached model and returns one generations row per article.
 */
public final class PartitionGenerator implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    public static final String ID = "_zs_id";
    public static final String TITLE = "_zs_title";
    public static final String TEXT = "_zs_text";
    public static final String HASH = "_zs_hash";
    /**
     * Test hook: when set to a partition index, that partition's first attempt fails before generating, so tests can
     * check that Spark's retry of a task adds no duplicate row.
     */
    public static final String FAIL_FIRST_ATTEMPT = "zerospark.generate.failFirstAttempt";

    private final String modelLocation;
    private final String modelId;
    private final TaskHadoopConf hadoop;
    private final GenerationParams params;
    private final String textColumn;
    private final String runId;
    private final long inputVersion;
    private final String paramsHash;

    public PartitionGenerator(String modelLocation, String modelId, TaskHadoopConf hadoop, GenerationParams params,
                              String textColumn, String runId, long inputVersion) {
        this.modelLocation = modelLocation;
        this.modelId = modelId;
        this.hadoop = hadoop;
        this.params = params;
        this.textColumn = textColumn;
        this.runId = runId;
        this.inputVersion = inputVersion;
        this.paramsHash = params.hash();
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) throws Exception {
        TaskContext tc = TaskContext.get();
        String fail = System.getProperty(FAIL_FIRST_ATTEMPT);
        if (fail != null && tc != null && tc.attemptNumber() == 0 && tc.partitionId() == Integer.parseInt(fail)) {
            throw new IllegalStateException("injected failure of partition " + fail + ", attempt 0 (" + FAIL_FIRST_ATTEMPT + ")");
        }
        List<RowGenerator.Article> articles = new ArrayList<>();
        while (input.hasNext()) {
            Row r = input.next();
            articles.add(new RowGenerator.Article(r.getAs(ID), r.getAs(TITLE), r.getAs(TEXT), r.getAs(HASH)));
        }
        if (articles.isEmpty()) return List.<Row>of().iterator(); // an empty partition loads no model
        List<RowGenerator.Result> results;
        try (ModelCache.Lease lease = ModelCache.acquire(modelId, device(tc), params.dtype(),
                () -> ModelFiles.localize(modelLocation, hadoop.toConfiguration()))) {
            TextCompleter c = lease.completer();
            PromptTemplate template = PromptTemplates.resolve(params.template());
            GenerationOptions options = c.options(params.maxNewTokens(), params.temperature(), params.topK(), params.topP(),
                    params.seed(), params.stop());
            BatchGenerator batches = new BatchGenerator(c.model());
            RowGenerator.BatchRunner runner = rows -> {
                lease.generating().lock();
                try {
                    return batches.generate(rows, options, params.batchTokens(), ids -> c.tokenizer().decode(ids, true));
                } finally {
                    lease.generating().unlock();
                }
            };
            int maxPrompt = c.model().config().maxPositions() - params.maxNewTokens();
            results = new RowGenerator(template, c.tokenizer(), maxPrompt, params.seed(), params.stop(), runner)
                    .generate(articles, textColumn);
        }
        Timestamp now = new Timestamp(System.currentTimeMillis());
        List<Row> out = new ArrayList<>(results.size());
        for (RowGenerator.Result r : results) out.add(row(r, now));
        return out.iterator();
    }

    /** A row in the order of {@link Generations#CONTRACT}'s columns. */
    private Row row(RowGenerator.Result r, Timestamp now) {
        Object[] v = new Object[Generations.CONTRACT.columns().size()];
        List<String> names = Generations.CONTRACT.names();
        v[names.indexOf(Generations.ARTICLE_ID)] = r.article().id();
        v[names.indexOf(Generations.CONTENT_HASH)] = r.article().contentHash();
        v[names.indexOf(Generations.INPUT_VERSION)] = inputVersion;
        v[names.indexOf(Generations.PIPELINE)] = params.templateId();
        v[names.indexOf(Generations.MODEL_ID)] = modelId;
        v[names.indexOf(Generations.PARAMS_HASH)] = paramsHash;
        v[names.indexOf(Generations.SEED)] = params.seed();
        v[names.indexOf(Generations.PROMPT)] = r.prompt();
        v[names.indexOf(Generations.PROMPT_TOKENS)] = r.promptTokens();
        v[names.indexOf(Generations.TRUNCATED)] = r.truncated();
        v[names.indexOf(Generations.COMPLETION)] = r.completion();
        v[names.indexOf(Generations.COMPLETION_TOKENS)] = r.completionTokens();
        v[names.indexOf(Generations.FINISH_REASON)] = r.finishReason();
        v[names.indexOf(Generations.ERROR)] = r.error();
        v[names.indexOf(Generations.RUN_ID)] = runId;
        v[names.indexOf(Generations.GENERATED_AT)] = now;
        return RowFactory.create(v);
    }

    /** The task's GPU when the scheduler assigned one (spark.task.resource.gpu.amount), else the CPU. */
    static Device device(TaskContext tc) {
        if (tc != null) {
            Map<String, ResourceInformation> resources = tc.resourcesJMap();
            ResourceInformation gpu = resources.get("gpu");
            if (gpu != null && gpu.addresses().length > 0) return Device.gpu(Integer.parseInt(gpu.addresses()[0]));
        }
        return Device.cpu();
    }
}
