package dev.zerospark.data.generate;

import dev.zerospark.config.GenerateConfig;
import java.util.List;

/**
 * What one {@code generate} run does. Built from the {@code generate} config section ({@link #from}); the benchmark
 * and tests build it directly.
 *
 * @param model an HF model directory: a local path or a Hadoop URI ({@code s3a://}, {@code dbfs:/}, {@code file:})
 * @param input the Delta table of articles
 * @param output the Delta table of generations (the {@code Generations} contract), created when absent
 * @param template a built-in template id or a template file
 * @param inputVersion the input version to read; null = the current one, resolved once on the driver
 * @param where a SQL predicate on the input's columns; null = every row
 * @param limit at most this many input rows, lowest ids first; null = no limit
 * @param stop stop strings; null = the template's own
 * @param dtype {@code fp32} or {@code bf16}
 * @param partitions tasks per committed chunk; null = {@code spark.default.parallelism}
 * @param rowsPerTask articles a task generates for per chunk: a chunk commits partitions × rowsPerTask articles,
 *                    so a killed run loses at most one chunk's work
 * @param fewShot the examples for a template with {@code {examples}}; null = none
 * @param service the endpoint of the service pipeline; null = the local pipeline (a model on the executors)
 */
public record GenerateOptions(String model, String input, String output, String template, Long inputVersion,
                              String where, Long limit, String idCol, String textCol, String titleCol,
                              int maxNewTokens, double temperature, int topK, double topP, long seed, List<String> stop,
                              String dtype, int batchTokens, Integer partitions, int rowsPerTask,
                              FewShotOptions fewShot, ServiceOptions service) {
    /** Enough rows per task to fill several batches of typical articles, few enough that a chunk commits every few minutes. */
    public static final int DEFAULT_ROWS_PER_TASK = 256;

    public GenerateOptions {
        stop = stop == null ? null : List.copyOf(stop);
        if (rowsPerTask < 1) throw new IllegalArgumentException("rows_per_task must be >= 1, got " + rowsPerTask);
    }

    /** The local pipeline without few-shot examples. */
    public GenerateOptions(String model, String input, String output, String template, Long inputVersion,
                           String where, Long limit, String idCol, String textCol, String titleCol,
                           int maxNewTokens, double temperature, int topK, double topP, long seed, List<String> stop,
                           String dtype, int batchTokens, Integer partitions, int rowsPerTask) {
        this(model, input, output, template, inputVersion, where, limit, idCol, textCol, titleCol, maxNewTokens, temperature, topK, topP,
                seed, stop, dtype, batchTokens, partitions, rowsPerTask, null, null);
    }

    /**
     * The options of a resolved {@code generate} config section, with the model location given separately (null for
     * the service pipeline).
     */
    public static GenerateOptions from(GenerateConfig g, String model) {
        FewShotOptions fewShot = g.examples() == null ? null : new FewShotOptions(g.examples(), g.shots(), g.maxExamples());
        ServiceOptions service = "service".equals(g.pipeline())
                ? new ServiceOptions(g.endpoint(), g.apiModel(), g.apiKeyEnv(), g.apiKeyConf(), g.api(), g.maxConcurrency(), g.requestsPerMinute())
                : null;
        return new GenerateOptions(model, g.input(), g.output(), g.template(), g.inputVersion(), g.where(), g.limit(),
                g.idCol(), g.textCol(), g.titleCol(), g.maxNewTokens(), g.temperature(), g.topK(), g.topP(), g.seed(),
                g.stop(), g.dtype(), g.batchTokens(), g.partitions(), DEFAULT_ROWS_PER_TASK, fewShot, service);
    }

    public GenerateOptions withFewShot(FewShotOptions f) {
        return new GenerateOptions(model, input, output, template, inputVersion, where, limit, idCol, textCol, titleCol,
                maxNewTokens, temperature, topK, topP, seed, stop, dtype, batchTokens, partitions, rowsPerTask, f, service);
    }

    public GenerateOptions withService(ServiceOptions s) {
        return new GenerateOptions(model, input, output, template, inputVersion, where, limit, idCol, textCol, titleCol,
                maxNewTokens, temperature, topK, topP, seed, stop, dtype, batchTokens, partitions, rowsPerTask, fewShot, s);
    }

    public GenerateOptions withRowsPerTask(int rows) {
        return new GenerateOptions(model, input, output, template, inputVersion, where, limit, idCol, textCol, titleCol,
                maxNewTokens, temperature, topK, topP, seed, stop, dtype, batchTokens, partitions, rows, fewShot, service);
    }

    public GenerateOptions withPartitions(Integer n) {
        return new GenerateOptions(model, input, output, template, inputVersion, where, limit, idCol, textCol, titleCol,
                maxNewTokens, temperature, topK, topP, seed, stop, dtype, batchTokens, n, rowsPerTask, fewShot, service);
    }
}
