package dev.zerospark.data.generate.internal;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import dev.zerospark.generate.BatchGenerator;
import dev.zerospark.generate.GenerationOptions;
import dev.zerospark.generate.TextCompleter;
import dev.zerospark.spark.TaskHadoopConf;
import dev.zerospark.template.PromptTemplate;
import dev.zerospark.template.PromptTemplates;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import dev.zerospark.template.ExampleChooser;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task side of {@code generate}: reads one partition of articles (columns {@link #ID}, {@link #TITLE},
 * {@link #TEXT}, {@link #HASH}), leases the executor's cached model and returns one generations row per article.
 */
public final class PartitionGenerator implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(PartitionGenerator.class);
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
    private final RunColumns columns;
    private final Broadcast<ExampleChooser> examples;
    private final int shots;
    private final int executorCores;

    /**
     * @param examples the few-shot candidates, broadcast once; null = none
     * @param executorCores the cores of one executor, which its generating tasks share; 0 = the executor's processors
     */
    public PartitionGenerator(String modelLocation, String modelId, TaskHadoopConf hadoop, GenerationParams params,
                              String textColumn, String runId, long inputVersion, Broadcast<ExampleChooser> examples, int shots,
                              int executorCores) {
        this.modelLocation = modelLocation;
        this.modelId = modelId;
        this.hadoop = hadoop;
        this.params = params;
        this.textColumn = textColumn;
        this.columns = new RunColumns(params.templateId(), modelId, params.hash(), params.seed(), runId, inputVersion);
        this.examples = examples;
        this.shots = shots;
        this.executorCores = executorCores;
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
        Device device = device(tc);
        long leasing = System.nanoTime();
        try (ModelCache.Lease lease = ModelCache.acquire(modelId, device, params.dtype(),
                () -> ModelFiles.localize(modelLocation, hadoop.toConfiguration()))) {
            TextCompleter c = lease.completer();
            // The executor's tasks generate concurrently on the shared model: each forward gets the cores Spark gave its
            // task (spark.task.cpus), not all of the executor's, which the concurrent tasks would oversubscribe; a task
            // left generating alone takes the idle ones (see Lease#generate). libtorch keeps the setting per thread
            // (OpenMP), and the model is loaded, so libtorch is too.
            boolean shareCores = tc != null && !device.isGpu();
            int taskCpus = tc == null ? 1 : tc.cpus();
            int cores = executorCores > 0 ? executorCores : Runtime.getRuntime().availableProcessors();
            if (shareCores && JniUtils.getNumThreads() != taskCpus) JniUtils.setNumThreads(taskCpus);
            PromptTemplate template = PromptTemplates.resolve(params.template());
            GenerationOptions options = c.options(params.maxNewTokens(), params.temperature(), params.topK(), params.topP(),
                    params.seed(), params.stop());
            long[] generating = {0}; // nanoseconds inside the model, to tell them from rendering and decoding in the log
            long[] work = {0, 0}; // batches and padded tokens (rows x (longest prompt + max_new_tokens)): the task's cost, for the log
            RowGenerator.BatchRunner runner = rows -> {
                for (List<Integer> batch : BatchGenerator.plan(rows, params.maxNewTokens(), params.batchTokens())) {
                    work[0]++;
                    work[1] += (long) batch.size() * (rows.get(batch.get(0)).promptTokens().length + params.maxNewTokens());
                }
                long t = System.nanoTime();
                try {
                    Function<int[], String> decoder = ids -> c.tokenizer().decode(ids, true);
                    return shareCores ? lease.generate(rows, options, params.batchTokens(), decoder, taskCpus, cores)
                            : lease.generate(rows, options, params.batchTokens(), decoder);
                } finally {
                    generating[0] += System.nanoTime() - t;
                }
            };
            long start = System.nanoTime();
            long leaseMs = (start - leasing) / 1_000_000;
            int maxPrompt = c.model().config().maxPositions() - params.maxNewTokens();
            results = new RowGenerator(template, c.tokenizer(), maxPrompt, params.seed(), params.stop(), runner,
                    examples == null ? null : examples.value(), shots).generate(articles, textColumn);
            LOG.info("partition {}: {} articles, {} ms leasing the model ({}), {} ms generating ({} batches, {} padded tokens, {} libtorch"
                            + " threads), {} ms rendering, tokenizing and decoding", tc == null ? -1 : tc.partitionId(), articles.size(), leaseMs,
                    lease.loaded() ? "loaded" : "cached", generating[0] / 1_000_000, work[0], work[1],
                    shareCores ? taskCpus + ".." + cores : String.valueOf(JniUtils.getNumThreads()),
                    (System.nanoTime() - start - generating[0]) / 1_000_000);
        }
        long building = System.nanoTime();
        Timestamp now = new Timestamp(System.currentTimeMillis());
        List<Row> out = new ArrayList<>(results.size());
        for (RowGenerator.Result r : results) out.add(columns.row(r, now));
        LOG.debug("partition {}: {} ms building rows", tc == null ? -1 : tc.partitionId(), (System.nanoTime() - building) / 1_000_000);
        return out.iterator();
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
