package dev.zerospark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.data.augment.AugmentJob;
import dev.zerospark.data.augment.AugmentOptions;
import dev.zerospark.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code zerospark augment}: self-instruct. A teacher model writes riddle targets for the articles that have none;
 * the filtered targets become sft_pairs rows that {@code train --data} takes as they are.
 */
@Command(name = "augment", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Self-instruct: a teacher model writes riddle targets for articles without one; filtered, they become sft_pairs rows train can use.")
public final class AugmentCommand implements Runnable {
    @Option(names = "--input", paramLabel = "URI", required = true, description = "Articles Delta table, as prepare writes it (required).") String input;
    @Option(names = "--teacher", paramLabel = "DIR", description = "Teacher: a local HF model directory (required unless --endpoint).") String teacher;
    @Option(names = "--endpoint", paramLabel = "URL", description = "Teacher behind an OpenAI-compatible API (optional; not available yet).") String endpoint;
    @Option(names = "--api-model", paramLabel = "NAME", description = "The API's model name, with --endpoint (optional).") String apiModel;
    @Option(names = "--api-key-env", paramLabel = "VAR", description = "Environment variable holding the API key, with --endpoint (optional).") String apiKeyEnv;
    @Option(names = {"--output", "--out"}, paramLabel = "URI", required = true, description = "sft_pairs Delta table the accepted pairs are added to (required).") String output;
    @Option(names = "--generations", paramLabel = "URI", description = "Where the teacher's generations are kept for resume (default: OUTPUT_teacher_generations).") String generations;
    @Option(names = "--limit", paramLabel = "N", description = "Candidate articles at most (optional; default all).") Long limit;
    @Option(names = "--template", paramLabel = "instruct|riddle", defaultValue = "instruct", description = "The teacher's prompt template (default ${DEFAULT-VALUE}).") String template;
    @Option(names = "--tokenizer", paramLabel = "DIR", description = "Tokenizer the pairs are encoded with (default: the teacher's folder).") String tokenizer;
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
        if (endpoint != null || apiModel != null || apiKeyEnv != null) {
            throw new CommandLine.ParameterException(cl, "--endpoint: an API teacher is not available yet (generate has no service pipeline in this build); use --teacher DIR");
        }
        if (teacher == null) throw new CommandLine.ParameterException(cl, "--teacher DIR is required");
        if (!template.equals("instruct") && !template.equals("riddle")) {
            throw new CommandLine.ParameterException(cl, "--template: '" + template + "' is not instruct or riddle");
        }
        Path teacherDir = CompleteCommand.modelDir(teacher);
        AugmentOptions o;
        try {
            o = new AugmentOptions(input, teacherDir.toString(), template, output,
                    generations != null ? generations : output.replaceAll("/+$", "") + "_teacher_generations", limit,
                    tokenizer != null ? tokenizer : teacherDir.toString(), seqLen, minWords, maxWords, copyThreshold, maxNewTokens, seed);
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
}
