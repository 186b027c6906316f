package dev.zerospark.cli;

import static org.apache.spark.sql.functions.col;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.delta.tables.DeltaTable;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.DeltaTables;
import dev.zerospark.data.PrepareJob;
import dev.zerospark.data.eval.CompareJob;
import dev.zerospark.data.eval.CompareOptions;
import dev.zerospark.data.eval.PipelineScores;
import dev.zerospark.data.generate.GenerateJob;
import dev.zerospark.data.generate.GenerateOptions;
import dev.zerospark.data.generate.GenerateSummary;
import dev.zerospark.data.generate.internal.ModelFiles;
import dev.zerospark.data.generate.internal.ServicePipeline;
import dev.zerospark.eval.Bootstrap;
import dev.zerospark.eval.NothingToScoreException;
import dev.zerospark.generate.TextCompleter;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.HfCheckpointWriter;
import dev.zerospark.model.HfConfigs;
import dev.zerospark.model.RandomInit;
import dev.zerospark.openai.ApiKey;
import dev.zerospark.serve.BatchModel;
import dev.zerospark.serve.ModelServer;
import dev.zerospark.serve.ServeSettings;
import dev.zerospark.table.Articles;
import dev.zerospark.table.Generations;
import dev.zerospark.table.SftPairs;
import dev.zerospark.template.PromptTemplates;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The demo's answer to the seed's question: the four ways of building the riddle app over the same validation
 * articles, into one generations table, compared by {@code eval compare}:
 * <ol>
 *   <li>few-shot prompting of the base model, with examples from sft_pairs' train split;</li>
 *   <li>instruct (zero-shot instruction) prompting of the base model;</li>
 *   <li>the service pipeline against a {@code serve} of the fine-tuned model on loopback, with an API key;</li>
 *   <li>the fine-tuned model with its own riddle template.</li>
 * </ol>
 * The base model is untrained: the fine-tuned model's architecture with seeded random weights and a longer context
 * ({@link #writeBaseModel}). Everything goes through the jobs' own APIs (GenerateJob, ModelServer, CompareJob).
 */
final class DemoComparison {
    static final String GENERATIONS = "riddles";
    static final String FEW_SHOT_EXAMPLES = "few_shot_examples";
    static final String EVAL_RESULTS = "eval_results";
    /** The model name serve announces: the service rows' model_id is {@code service:127.0.0.1/<this>}. */
    static final String SERVED_MODEL = "demo-fine-tuned";
    /**
     * The Spark conf entry the executors read the demo's generated key from. The demo's local executors share the
     * driver's conf, the one place this JVM can hand them a secret (its own environment cannot be changed); the name
     * matches Spark's default {@code spark.redaction.regex}, so the UI and event log show it redacted. Removed when
     * the step ends.
     */
    static final String KEY_CONF = "spark.zerospark.demo.service.token";
    /** Validation articles at most: enough for an interval, few enough to stay quick on 2 cores. */
    static final long ARTICLES = 32;
    /** The models are tiny and the riddles poor either way: a short riddle keeps four pipelines quick. */
    static final int MAX_NEW_TOKENS = 16;
    static final int SHOTS = 2;
    /** The base model's context: two sample articles with their riddles and a third article fit. */
    static final int BASE_CONTEXT = 1024;

    /** One pipeline the demo ran: its label, template (the generations' pipeline column) and model id. */
    record Step(String label, String template, String modelId) {}

    /** What the comparison made: the steps in report order and compare's summary. */
    record Result(List<Step> steps, CompareJob.Summary compare, String generations) {}

    private DemoComparison() {}

    /**
     * Runs the four pipelines and the comparison, printing a line per pipeline, three of the fine-tuned model's
     * riddles, the comparison table and the path of report.html.
     *
     * @param baseModel where the untrained base model is written
     * @param seed the base model's initialisation seed
     */
    static Result run(SparkSession spark, PrepareConfig cfg, Path work, Path fineTuned, Path baseModel, Path tokenizer, long seed,
                      PrintWriter out) {
        writeBaseModel(fineTuned, baseModel, tokenizer, seed);
        String articles = PrepareJob.table(cfg, PrepareJob.ARTICLES);
        String sftPairs = PrepareJob.table(cfg, PrepareJob.SFT_PAIRS);
        String generations = PrepareJob.table(cfg, GENERATIONS);
        // The demo owns its work directory and retrains on every run (train.overwrite): its generations start over
        // too (a DELETE commit, so the history stays), so the comparison holds this run's models only.
        if (DeltaTables.exists(spark, generations)) DeltaTable.forPath(spark, generations).delete();
        String examples = PrepareJob.table(cfg, FEW_SHOT_EXAMPLES);
        // Few-shot examples from the train split only, so that no validation reference is shown to the model.
        spark.read().format("delta").load(sftPairs).where(col(SftPairs.SPLIT).equalTo(Articles.TRAIN))
                .select(SftPairs.ARTICLE_ID, SftPairs.RESPONSE).write().format("delta").mode("overwrite").save(examples);

        var hadoop = spark.sparkContext().hadoopConfiguration();
        String baseId = ModelFiles.modelId(baseModel.toString(), hadoop);
        String fineId = ModelFiles.modelId(fineTuned.toString(), hadoop);
        List<Step> steps = new ArrayList<>();
        out.println("four riddle pipelines over the validation articles with a reference riddle, into " + generations + ":");

        Map<String, Object> fewShot = keys(articles, generations, PromptTemplates.FEW_SHOT.id());
        fewShot.put("generate.examples", examples);
        fewShot.put("generate.shots", SHOTS);
        steps.add(generate(spark, "few-shot (base model)", fewShot, baseModel, baseId, out));
        steps.add(generate(spark, "instruct (base model)", keys(articles, generations, PromptTemplates.INSTRUCT.id()), baseModel, baseId, out));
        steps.add(service(spark, articles, generations, fineTuned, out));
        steps.add(generate(spark, "fine-tuned (riddle)", keys(articles, generations, PromptTemplates.RIDDLE.id()), fineTuned, fineId, out));
        printRiddles(spark, articles, generations, fineId, out);

        Map<String, Double> perplexity = new HashMap<>();
        String lmBlocks = PrepareJob.table(cfg, PrepareJob.LM_BLOCKS);
        for (Map.Entry<String, Path> m : Map.of(baseId, baseModel, fineId, fineTuned).entrySet()) {
            try {
                perplexity.put(m.getKey(), EvalPerplexityCommand.compute(spark, m.getValue(), lmBlocks, null, Articles.VALIDATION, 4).perplexity());
            } catch (NothingToScoreException e) { // a very small sample can leave the validation split without a block
                out.println("no perplexity for " + m.getValue() + ": " + e.getMessage());
            }
        }
        String report = work.resolve("report").toString();
        CompareOptions o = new CompareOptions(generations, List.of(PromptTemplates.FEW_SHOT.id(), PromptTemplates.INSTRUCT.id(),
                PromptTemplates.RIDDLE.id()), sftPairs, report, PrepareJob.table(cfg, EVAL_RESULTS), Bootstrap.DEFAULT_RESAMPLES,
                Bootstrap.DEFAULT_SEED, true);
        CompareJob.Summary s = CompareJob.run(spark, o, perplexity);
        printComparison(steps, s, out);
        out.println("report: " + s.report());
        out.flush();
        return new Result(List.copyOf(steps), s, generations);
    }

    /** The generate keys the four pipelines share: the same articles, length and sampling, so they compare. */
    private static Map<String, Object> keys(String articles, String generations, String template) {
        Map<String, Object> k = new LinkedHashMap<>();
        k.put("generate.input", articles);
        k.put("generate.output", generations);
        k.put("generate.template", template);
        k.put("generate.where", Articles.SPLIT + " = '" + Articles.VALIDATION + "' AND trim(coalesce(" + Articles.TARGET + ", '')) <> ''");
        k.put("generate.limit", ARTICLES);
        k.put("generate.max_new_tokens", MAX_NEW_TOKENS);
        k.put("generate.temperature", 0.8);
        k.put("generate.top_p", 0.95);
        k.put("generate.seed", 7);
        return k;
    }

    private static Step generate(SparkSession spark, String label, Map<String, Object> keys, Path model, String modelId, PrintWriter out) {
        GenerateSummary s = GenerateJob.run(spark, GenerateOptions.from(ConfigLoader.load(null, keys).generate(), model == null ? null : model.toString()));
        out.printf(Locale.ROOT, "  %-28s %d articles, %d errors, %d truncated, %d few-shot examples dropped%n", label + ":", s.articles(),
                s.errors(), s.truncated(), s.examplesDropped());
        out.flush();
        return new Step(label, (String) keys.get("generate.template"), modelId);
    }

    /**
     * The service pipeline: {@code serve} of the fine-tuned model on 127.0.0.1, an ephemeral port, behind a freshly
     * generated key the demo never prints; the instruction prompt goes over {@code /v1/chat/completions}, as to a
     * hosted LLM. The server stops and the key leaves the Spark conf before this returns, whatever happens.
     */
    private static Step service(SparkSession spark, String articles, String generations, Path fineTuned, PrintWriter out) {
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        String key = "zs-demo-" + HexFormat.of().formatHex(secret);
        SparkConf conf = spark.sparkContext().conf();
        try (TextCompleter completer = TextCompleter.open(fineTuned);
             ModelServer server = ModelServer.start(ServeSettings.loopback(0, SERVED_MODEL).withApiKey(ApiKey.of(key)), BatchModel.of(completer))) {
            conf.set(KEY_CONF, key);
            try {
                Map<String, Object> k = keys(articles, generations, PromptTemplates.INSTRUCT.id());
                k.put("generate.pipeline", "service");
                k.put("generate.endpoint", "http://127.0.0.1:" + server.port() + "/v1");
                k.put("generate.api_model", SERVED_MODEL);
                k.put("generate.api_key_conf", KEY_CONF);
                var g = ConfigLoader.load(null, k).generate();
                GenerateOptions o = GenerateOptions.from(g, null);
                String modelId = ServicePipeline.modelId(o.service());
                out.println("  serving " + fineTuned + " as " + SERVED_MODEL + " on http://127.0.0.1:" + server.port()
                        + "/v1 (API key generated, passed in Spark conf " + KEY_CONF + ")");
                return generate(spark, "service (serve, instruct)", k, null, modelId, out);
            } finally {
                conf.remove(KEY_CONF);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the fine-tuned model " + fineTuned + " on 127.0.0.1", e);
        }
    }

    /**
     * The untrained base model: the fine-tuned model's architecture with seeded random weights and a
     * {@value #BASE_CONTEXT}-token context, since the tiny preset's 256 tokens hold one sample article but no examples
     * next to it, and few-shot would then show none.
     */
    static void writeBaseModel(Path fineTuned, Path out, Path tokenizer, long seed) {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            ObjectNode json = (ObjectNode) new ObjectMapper().readTree(fineTuned.resolve("config.json").toFile());
            json.put(json.has("n_positions") ? "n_positions" : "max_position_embeddings", BASE_CONTEXT);
            if (json.has("n_ctx")) json.put("n_ctx", BASE_CONTEXT);
            try (CausalLm model = RandomInit.create(HfConfigs.parse(json), m, seed)) {
                HfCheckpointWriter.save(model, out, HfCheckpointWriter.Options.defaults(tokenizer));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the base model to " + out, e);
        }
    }

    /** Three of the fine-tuned model's riddles: title -> riddle. */
    private static void printRiddles(SparkSession spark, String articles, String generations, String modelId, PrintWriter out) {
        List<Row> shown = spark.read().format("delta").load(generations)
                .where(col(Generations.MODEL_ID).equalTo(modelId).and(col(Generations.FINISH_REASON).notEqual("error")))
                .join(spark.read().format("delta").load(articles).select(col(Articles.ARTICLE_ID).as("a_id"), col(Articles.TITLE)),
                        col(Generations.ARTICLE_ID).equalTo(col("a_id")))
                .orderBy(col(Generations.ARTICLE_ID)).select(col(Articles.TITLE), col(Generations.COMPLETION)).limit(3).collectAsList();
        out.println("three of the fine-tuned model's riddles (tiny and briefly trained, so expect word salad):");
        for (Row r : shown) out.println("  " + r.getString(0) + " -> " + r.getString(1).strip().replace('\n', ' '));
    }

    /** One line per pipeline: label, template, pairs, errors, ROUGE-L F with its 95% interval, perplexity. */
    static void printComparison(List<Step> steps, CompareJob.Summary s, PrintWriter out) {
        out.printf(Locale.ROOT, "%-28s %-9s %4s %6s  %-26s %s%n", "pipeline", "template", "n", "errors", "ROUGE-L F [95% CI]", "perplexity");
        for (PipelineScores p : s.pipelines()) {
            String label = steps.stream().filter(x -> x.template().equals(p.pipeline()) && x.modelId().equals(p.modelId()))
                    .map(Step::label).findFirst().orElse(p.modelId());
            Bootstrap.Interval l = p.rougeF().get("rougeL");
            out.printf(Locale.ROOT, "%-28s %-9s %4d %6d  %-26s %s%n", label, p.pipeline(), p.pairs(), p.errors(),
                    String.format(Locale.ROOT, "%.4f [%.4f, %.4f]", l.mean(), l.low(), l.high()),
                    p.perplexity() == null ? "- (not local)" : String.format(Locale.ROOT, "%.2f", p.perplexity()));
        }
    }
}
