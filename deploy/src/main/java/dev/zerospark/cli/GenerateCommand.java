package dev.zerospark.cli;

import dev.zerospark.config.ConfigException;
import dev.zerospark.config.GenerateConfig;
import dev.zerospark.data.generate.GenerateJob;
import dev.zerospark.data.generate.GenerateOptions;
import dev.zerospark.data.generate.GenerateSummary;
import dev.zerospark.spark.SparkSessions;
import dev.zerospark.checkpoint.CheckpointExport;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code zerospark generate}: runs a model over a Delta table of articles as a resumable Spark job and MERGEs the
 * completions into a Delta table. Progress goes to the log; the last stdout line is the run's summary as JSON.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Generate (riddles by default) for every article of a Delta table into a Delta table, with a local model or an"
                + " OpenAI-compatible service (--pipeline service); resumable, flags override --config generate.* values.")
public final class GenerateCommand implements Runnable {
    @Mixin ConfigOption config;
    @Option(names = "--model", paramLabel = "DIR|URI", descriptionKey = "generate.model") String model;
    @Option(names = "--input", paramLabel = "URI", descriptionKey = "generate.input") String input;
    @Option(names = {"--output", "--out"}, paramLabel = "URI", descriptionKey = "generate.output") String output;
    @Option(names = "--template", paramLabel = "riddle|few-shot|instruct|FILE", descriptionKey = "generate.template") String template;
    @Option(names = "--input-version", paramLabel = "V", descriptionKey = "generate.input_version") Long inputVersion;
    @Option(names = "--where", paramLabel = "SQL", descriptionKey = "generate.where") String where;
    @Option(names = "--limit", paramLabel = "N", descriptionKey = "generate.limit") Long limit;
    @Option(names = "--id-col", paramLabel = "NAME", descriptionKey = "generate.id_col") String idCol;
    @Option(names = "--text-col", paramLabel = "NAME", descriptionKey = "generate.text_col") String textCol;
    @Option(names = "--title-col", paramLabel = "NAME", descriptionKey = "generate.title_col") String titleCol;
    @Option(names = "--max-new-tokens", paramLabel = "N", descriptionKey = "generate.max_new_tokens") Integer maxNewTokens;
    @Option(names = "--temperature", paramLabel = "T", descriptionKey = "generate.temperature") Double temperature;
    @Option(names = "--top-k", paramLabel = "K", descriptionKey = "generate.top_k") Integer topK;
    @Option(names = "--top-p", paramLabel = "P", descriptionKey = "generate.top_p") Double topP;
    @Option(names = "--seed", paramLabel = "S", descriptionKey = "generate.seed") Long seed;
    @Option(names = "--stop", paramLabel = "STR", descriptionKey = "generate.stop") List<String> stop;
    @Option(names = "--dtype", paramLabel = "fp32|bf16", descriptionKey = "generate.dtype") String dtype;
    @Option(names = "--batch-tokens", paramLabel = "N", descriptionKey = "generate.batch_tokens") Integer batchTokens;
    @Option(names = "--partitions", paramLabel = "N", descriptionKey = "generate.partitions") Integer partitions;
    @Option(names = "--examples", paramLabel = "URI", descriptionKey = "generate.examples") String examples;
    @Option(names = "--shots", paramLabel = "K", descriptionKey = "generate.shots") Integer shots;
    @Option(names = "--max-examples", paramLabel = "N", descriptionKey = "generate.max_examples") Integer maxExamples;
    @Option(names = "--pipeline", paramLabel = "local|service", descriptionKey = "generate.pipeline") String pipeline;
    @Option(names = "--endpoint", paramLabel = "URL", descriptionKey = "generate.endpoint") String endpoint;
    @Option(names = "--api-model", paramLabel = "NAME", descriptionKey = "generate.api_model") String apiModel;
    @Option(names = "--api-key-env", paramLabel = "VAR", descriptionKey = "generate.api_key_env") String apiKeyEnv;
    @Option(names = "--api-key-conf", paramLabel = "SPARK_CONF", descriptionKey = "generate.api_key_conf") String apiKeyConf;
    @Option(names = "--api", paramLabel = "chat|completions", descriptionKey = "generate.api") String api;
    @Option(names = "--max-concurrency", paramLabel = "N", descriptionKey = "generate.max_concurrency") Integer maxConcurrency;
    @Option(names = "--requests-per-minute", paramLabel = "N", descriptionKey = "generate.requests_per_minute") Integer requestsPerMinute;
    @Option(names = "--master", paramLabel = "URL", description = "Spark master when not under spark-submit (default local[*]).") String master;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    GenerateConfig resolve() {
        GenerateConfig g = config.load(spec).generate();
        boolean service = "service".equals(g.pipeline());
        if (service) {
            require("generate.endpoint", g.endpoint(), "--endpoint");
            require("generate.api_model", g.apiModel(), "--api-model");
        } else {
            require("generate.model", g.model(), "--model");
        }
        require("generate.input", g.input(), "--input");
        require("generate.output", g.output(), "--output");
        return g;
    }

    private static void require(String key, String value, String flag) {
        if (value == null) throw new ConfigException(key, key + " is required (" + flag + " or the config file)");
    }

    @Override
    public void run() {
        GenerateConfig g = resolve();
        SparkSession spark = SparkSessions.getOrCreate("zerospark-generate", PrepareCommand.sparkMaster(master), Map.of());
        // The service pipeline has no local model: --model is ignored there.
        String modelDir = "service".equals(g.pipeline()) ? null : hfModel(g.model(), spark.sparkContext().hadoopConfiguration());
        GenerateSummary s = GenerateJob.run(spark, GenerateOptions.from(g, modelDir));
        PrintWriter out = spec.commandLine().getOut();
        out.println(s.toJson());
        out.flush();
    }

    /**
     * The HF model directory to generate with: {@code location} itself when it holds config.json; else a checkpoint
     * root (or step directory) exported by the driver next to the checkpoint, on its filesystem, where every executor
     * can read it, and reused by later runs (see {@link CheckpointExport#exportShared}).
     */
    static String hfModel(String location, Configuration conf) {
        try {
            org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(location);
            FileSystem fs = dir.getFileSystem(conf);
            if (fs.exists(new org.apache.hadoop.fs.Path(dir, "config.json"))) return location;
            CheckpointExport.Target target;
            try {
                target = CheckpointExport.resolve(location, conf);
            } catch (RuntimeException e) {
                throw new ConfigException("generate.model", "model " + location + " is neither an HF model directory (no config.json) nor a checkpoint ("
                        + e.getMessage() + ")", e);
            }
            return CheckpointExport.exportShared(target, conf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model " + location, e);
        }
    }
}
