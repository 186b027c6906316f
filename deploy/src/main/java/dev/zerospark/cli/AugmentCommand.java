package dev.zerospark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.data.augment.AugmentJob;
import dev.zerospark.data.augment.AugmentOptions;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.data.generate.GenerateOptions;
import dev.zerospark.data.generate.ServiceOptions;
import dev.zerospark.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code zerospark augment}: self-instruct. A teacher model (a local directory, or behind an OpenAI-compatible endpoint
 * through generate's service pipeline) writes riddle targets for the articles that have none; the filtered targets
 * become sft_pairs rows that {@code train --data} takes as they are.
 */
@Command(name = "augment", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Self-instruct: a teacher model writes riddle targets for articles without one; filtered, they become sft_pairs rows train can use.")
public final class AugmentCommand implements Runnable {
    @Option(names = "--input", paramLabel = "URI", required = true, description = "Articles Delta table, as prepare writes it (required).") String input;
    @Option(names = "--teacher", paramLabel = "DIR", description = "Teacher: a local HF model directory (required unless --endpoint).") String teacher;
    @Option(names = "--endpoint", paramLabel = "URL", description = "Teacher behind an OpenAI-compatible API, reached through generate's service pipeline (required unless --teacher).") String endpoint;
    @Option(names = "--api-model", paramLabel = "NAME", description = "The API's model name, sent as model (required with --endpoint).") String apiModel;
    @Option(names = "--api-key-env", paramLabel = "VAR", descriptionKey = "generate.api_key_env") String apiKeyEnv;
    @Option(names = "--api-key-conf", paramLabel = "SPARK_CONF", descriptionKey = "generate.api_key_conf") String apiKeyConf;
    @Option(names = "--api", paramLabel = "chat|completions", descriptionKey = "generate.api") String api;
    @Option(names = "--max-concurrency", paramLabel = "N", descriptionKey = "generate.max_concurrency") Integer maxConcurrency;
    @Option(names = "--requests-per-minute", paramLabel = "N", descriptionKey = "generate.requests_per_minute") Integer requestsPerMinute;
    @Option(names = {"--output", "--out"}, paramLabel = "URI", required = true, description = "sft_pairs Delta table the accepted pairs are added to (required).") String output;
    @Option(names = "--generations", paramLabel = "URI", description = "Where the teacher's generations are kept for resume (default: OUTPUT_teacher_generations).") String generations;
    @Option(names = "--limit", paramLabel = "N", description = "Candidate articles at most (optional; default all).") Long limit;
    @Option(names = "--template", paramLabel = "instruct|riddle", defaultValue = "instruct", description = "The teacher's prompt template (default ${DEFAULT-VALUE}).") String template;
    @Option(names = "--tokenizer", paramLabel = "DIR", description = "Tokenizer the pairs are encoded with (default: the teacher's folder; required with --endpoint).") String tokenizer;
    @Option(names = "--seq-len", paramLabel = "T", defaultValue = "512", description = "Tokens per pair, as prepare's seq_len (default ${DEFAULT-VALUE}).") int seqLen;
    @Option(names = "--min-words", paramLabel = "N", defaultValue = "3", description = "Shorter targets are rejected as too_short (default ${DEFAULT-VALUE}).") int minWords;
    @Option(names = "--max-words", paramLabel = "N", defaultValue = "120", description = "Longer targets are rejected as too_long (default ${DEFAULT-VALUE}).") int maxWords;
    @Option(names = "--copy-threshold", paramLabel = "F", defaultValue = "0.5", description = "Targets whose ROUGE-L F against the article is above this are rejected as copies_article (default ${DEFAULT-VALUE}).") double copyThreshold;
    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "64", description = "Tokens the teacher writes at most (default ${DEFAULT-VALUE}).") int maxNewTokens;
    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Generation seed (default ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--master", paramLabel = "URL", description = "Spark master when not under spark-submit (default local[*]).") String master;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        CommandLine cl = spec.commandLine();
        if ((teacher == null) == (endpoint == null)) {
            throw new CommandLine.ParameterException(cl, teacher == null ? "give a teacher: --teacher DIR or --endpoint URL"
                    : "give one teacher: --teacher DIR or --endpoint URL, not both");
        }
        if (!template.equals("instruct") && !template.equals("riddle")) {
            throw new CommandLine.ParameterException(cl, "--template: '" + template + "' is not instruct or riddle");
        }
        ServiceOptions service = null;
        String teacherDir = null;
        if (endpoint != null) {
            if (apiModel == null) throw new CommandLine.ParameterException(cl, "--endpoint needs --api-model NAME, the model the API serves");
            if (tokenizer == null) {
                throw new CommandLine.ParameterException(cl, "--endpoint needs --tokenizer DIR: the accepted pairs are encoded locally, and an endpoint lends no tokenizer");
            }
            service = service();
        } else {
            String stray = apiModel != null ? "--api-model" : apiKeyEnv != null ? "--api-key-env" : apiKeyConf != null ? "--api-key-conf"
                    : api != null ? "--api" : maxConcurrency != null ? "--max-concurrency" : requestsPerMinute != null ? "--requests-per-minute" : null;
            if (stray != null) throw new CommandLine.ParameterException(cl, stray + " applies to an --endpoint teacher, not to --teacher DIR");
            teacherDir = CompleteCommand.modelDir(teacher).toString();
        }
        AugmentOptions o;
        try {
            o = new AugmentOptions(input, teacherDir, template, output,
                    generations != null ? generations : output.replaceAll("/+$", "") + "_teacher_generations", limit,
                    tokenizer != null ? tokenizer : teacherDir, seqLen, minWords, maxWords, copyThreshold, maxNewTokens, seed, service);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
        SparkSession spark = SparkSessions.getOrCreate("zerospark-augment", PrepareCommand.sparkMaster(master), Map.of());
        AugmentJob.Summary s = AugmentJob.run(spark, o);
        ObjectNode json = new ObjectMapper().createObjectNode().put("candidates", s.candidates()).put("accepted", s.accepted())
                .put("inserted", s.inserted()).put("output_version", s.outputVersion());
        ObjectNode rejected = json.putObject("rejected");
        s.rejected().forEach(rejected::put);
        PrintWriter out = cl.getOut();
        out.println(json);
        out.flush();
    }

    /**
     * The endpoint teacher as generate's service pipeline takes it: the flags that name a {@code generate.*} key are
     * checked and defaulted by that one declaration, so augment and generate accept the same values.
     */
    private ServiceOptions service() {
        Map<String, Object> keys = new HashMap<>(ConfigOption.flags(spec));
        keys.put("generate.pipeline", "service");
        keys.put("generate.endpoint", endpoint);
        keys.put("generate.api_model", apiModel);
        return GenerateOptions.from(ConfigLoader.load(null, keys).generate(), null).service();
    }
}
