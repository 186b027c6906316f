package dev.zerospark.config;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.zerospark.table.Articles;
import java.util.List;

/**
 * Text generation: {@code complete} (prompts from the command line) and {@code generate} (a Spark job over a Delta
 * table of articles). Greedy when temperature is 0.
 */
public record GenerateConfig(
        @JsonPropertyDescription("HF model directory or URI (required)") String model,
        @JsonPropertyDescription("tokens to generate at most (default 64)") Integer maxNewTokens,
        @JsonPropertyDescription("sampling temperature; 0 means greedy (default 0)") Double temperature,
        @JsonPropertyDescription("keep only the k most likely tokens; 0 disables (default 0)") Integer topK,
        @JsonPropertyDescription("nucleus sampling mass in (0, 1]; 1 disables (default 1)") Double topP,
        @JsonPropertyDescription("random seed for sampling (default 0)") Long seed,
        @JsonPropertyDescription("a prompt longer than the context minus max_new_tokens: left = cut its oldest tokens with a warning, error = refuse (default left)") String truncate,
        @JsonPropertyDescription("generate: Delta table URI of the articles, e.g. prepare's articles table (required by generate)") String input,
        @JsonPropertyDescription("generate: Delta table URI the generations are MERGEd into, created when absent (required by generate)") String output,
        @JsonPropertyDescription("generate: a built-in template id or a template file (default riddle)") String template,
        @JsonPropertyDescription("generate: the input table version to read (optional; the current one when unset)") Long inputVersion,
        @JsonPropertyDescription("generate: SQL predicate selecting input rows (optional)") String where,
        @JsonPropertyDescription("generate: at most this many input rows, lowest ids first (optional)") Long limit,
        @JsonPropertyDescription("generate: the input's article id column; prepare's articles table names it article_id (default article_id)") String idCol,
        @JsonPropertyDescription("generate: the input's article text column (default text)") String textCol,
        @JsonPropertyDescription("generate: the input's title column; titles are empty when the table has none (default title)") String titleCol,
        @JsonPropertyDescription("generate: strings that end a completion, cut before them (optional; the template's own when unset)") List<String> stop,
        @JsonPropertyDescription("generate: weight dtype on the device, fp32 | bf16 (default fp32)") String dtype,
        @JsonPropertyDescription("generate: tokens per batch, rows x (longest prompt + max_new_tokens) (default 8192)") Integer batchTokens,
        @JsonPropertyDescription("generate: tasks per committed chunk (optional; spark.default.parallelism when unset)") Integer partitions,
        @JsonPropertyDescription("generate: few-shot example table URI, sft_pairs or articles with a target (required by --template few-shot)") String examples,
        @JsonPropertyDescription("generate: few-shot examples per prompt (default 3)") Integer shots,
        @JsonPropertyDescription("generate: example candidates the driver ships to tasks at most; a larger examples table is refused (default 10000)") Integer maxExamples,
        @JsonPropertyDescription("generate: local = a model on the executors, service = an OpenAI-compatible endpoint (default local)") String pipeline,
        @JsonPropertyDescription("generate: service base URL, e.g. https://api.example.com/v1 (required by --pipeline service)") String endpoint,
        @JsonPropertyDescription("generate: the service's model name, sent as model (required by --pipeline service)") String apiModel,
        @JsonPropertyDescription("generate: environment variable holding the service's API key, read on the executors (optional)") String apiKeyEnv,
        @JsonPropertyDescription("generate: Spark conf entry holding the service's API key, read on the executors; its name must match spark.redaction.regex (optional)") String apiKeyConf,
        @JsonPropertyDescription("generate: the service endpoint, chat | completions (default chat)") String api,
        @JsonPropertyDescription("generate: service requests in flight per executor at most (default 4)") Integer maxConcurrency,
        @JsonPropertyDescription("generate: service requests started per minute per executor; 0 = no limit (default 0)") Integer requestsPerMinute) {

    public GenerateConfig {
        maxNewTokens = Check.positive("max_new_tokens", Check.or(maxNewTokens, 64));
        temperature = Check.or(temperature, 0.0);
        if (temperature < 0) throw Check.invalid("temperature", "must be >= 0, got " + temperature);
        topK = Check.nonNegative("top_k", Check.or(topK, 0));
        topP = Check.or(topP, 1.0);
        if (!(topP > 0 && topP <= 1)) throw Check.invalid("top_p", "must be in (0, 1], got " + topP);
        seed = Check.or(seed, 0L);
        truncate = Check.oneOf("truncate", Check.or(truncate, "left"), "left", "error");
        template = Check.or(template, "riddle");
        if (inputVersion != null && inputVersion < 0) throw Check.invalid("input_version", "must be >= 0, got " + inputVersion);
        if (limit != null && limit < 1) throw Check.invalid("limit", "must be >= 1, got " + limit);
        // The defaults are prepare's articles table's columns, the usual input.
        idCol = Check.or(idCol, Articles.ARTICLE_ID);
        textCol = Check.or(textCol, Articles.TEXT);
        titleCol = Check.or(titleCol, Articles.TITLE);
        stop = stop == null ? null : List.copyOf(stop);
        dtype = Check.oneOf("dtype", Check.or(dtype, "fp32"), "fp32", "bf16");
        batchTokens = Check.positive("batch_tokens", Check.or(batchTokens, 8192));
        if (partitions != null) Check.positive("partitions", partitions);
        shots = Check.positive("shots", Check.or(shots, 3));
        maxExamples = Check.positive("max_examples", Check.or(maxExamples, 10000));
        pipeline = Check.oneOf("pipeline", Check.or(pipeline, "local"), "local", "service");
        api = Check.oneOf("api", Check.or(api, "chat"), "chat", "completions");
        maxConcurrency = Check.positive("max_concurrency", Check.or(maxConcurrency, 4));
        requestsPerMinute = Check.nonNegative("requests_per_minute", Check.or(requestsPerMinute, 0));
        if (apiKeyEnv != null && apiKeyConf != null) throw Check.invalid("api_key_conf", "give api_key_env or api_key_conf, not both");
    }

    public static GenerateConfig defaults() {
        return new GenerateConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }
}
