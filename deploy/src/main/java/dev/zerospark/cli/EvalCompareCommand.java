package dev.zerospark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.data.eval.CompareJob;
import dev.zerospark.data.eval.CompareOptions;
import dev.zerospark.data.eval.PipelineScores;
import dev.zerospark.data.generate.internal.ModelFiles;
import dev.zerospark.eval.Bootstrap;
import dev.zerospark.eval.RougeScores;
import dev.zerospark.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code zerospark eval compare}: ROUGE of each pipeline's generations against the reference riddles, with seeded
 * bootstrap intervals, counts and optional perplexities, into an eval_results Delta table and report.html.
 */
@Command(name = "compare", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Compare pipelines' generations against reference riddles: ROUGE means with bootstrap 95% intervals, "
                + "errors, truncations, perplexity; writes an eval_results Delta table and report.html.")
public final class EvalCompareCommand implements Runnable {
    @Option(names = "--generations", paramLabel = "URI", required = true, description = "Generations Delta table, as generate writes it (required).") String generations;
    @Option(names = "--pipelines", paramLabel = "A,B,...", split = ",", description = "Pipelines to compare, in report order (default: every pipeline in the table).") List<String> pipelines;
    @Option(names = "--references", paramLabel = "URI", required = true, description = "sft_pairs Delta table; its response is the reference riddle of its article_id (required).") String references;
    @Option(names = "--report", paramLabel = "DIR|URI", required = true, description = "Folder for report.html (required).") String report;
    @Option(names = "--results", paramLabel = "URI", description = "eval_results Delta table to append to (default: REPORT/eval_results).") String results;
    @Option(names = "--data", paramLabel = "URI", description = "lm_blocks or sft_pairs table whose validation split gives each --model's perplexity (optional).") String data;
    @Option(names = "--model", paramLabel = "DIR", description = "Local HF model directory whose perplexity is reported for the generations of the same model_id; repeatable, needs --data (optional).") List<Path> models;
    @Option(names = "--resamples", paramLabel = "N", defaultValue = "" + Bootstrap.DEFAULT_RESAMPLES, description = "Bootstrap resamples (default ${DEFAULT-VALUE}).") int resamples;
    @Option(names = "--seed", paramLabel = "S", defaultValue = "" + Bootstrap.DEFAULT_SEED, description = "Bootstrap seed (default ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--no-stemmer", description = "Score unstemmed tokens (default: Porter stemmer, as rouge-score's use_stemmer=True).") boolean noStemmer;
    @Option(names = "--master", paramLabel = "URL", description = "Spark master when not under spark-submit (default local[*]).") String master;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        CommandLine cl = spec.commandLine();
        List<Path> local = models == null ? List.of() : models;
        if (data != null && local.isEmpty()) throw new CommandLine.ParameterException(cl, "--data needs at least one --model DIR to compute a perplexity for");
        if (data == null && !local.isEmpty()) throw new CommandLine.ParameterException(cl, "--model needs --data, the table its perplexity is computed on");
        if (resamples < 1) throw new CommandLine.ParameterException(cl, "--resamples: must be at least 1, got " + resamples);
        String dir = report.replaceAll("/+$", "");
        CompareOptions o = new CompareOptions(generations, pipelines == null ? List.of() : pipelines, references, dir,
                results != null ? results : dir + "/eval_results", resamples, seed, !noStemmer);
        SparkSession spark = SparkSessions.getOrCreate("zerospark-eval-compare", PrepareCommand.sparkMaster(master), Map.of());
        Map<String, Double> perplexity = new LinkedHashMap<>();
        for (Path m : local) {
            Path modelDir = CompleteCommand.modelDir(m.toString());
            String id = ModelFiles.modelId(modelDir.toString(), spark.sparkContext().hadoopConfiguration());
            perplexity.put(id, EvalPerplexityCommand.compute(spark, modelDir, data, null, "validation", 4).perplexity());
        }
        CompareJob.Summary s = CompareJob.run(spark, o, perplexity);
        PrintWriter out = cl.getOut();
        out.printf("%-24s %6s %6s %6s  %-24s %-24s %-24s %-24s %s%n", "pipeline", "pairs", "errors", "trunc",
                "rouge1 F [95%]", "rouge2 F [95%]", "rougeL F [95%]", "rougeLsum F [95%]", "perplexity");
        ObjectMapper json = new ObjectMapper();
        ObjectNode summary = json.createObjectNode().put("run_id", s.runId()).put("report", s.report()).put("results", o.results())
                .put("results_version", s.resultsVersion()).put("bootstrap_resamples", resamples).put("bootstrap_seed", seed);
        var arr = summary.putArray("pipelines");
        for (PipelineScores p : s.pipelines()) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-24s %6d %6d %6d", p.pipeline(), p.pairs(), p.errors(), p.truncated()));
            ObjectNode n = arr.addObject().put("pipeline", p.pipeline()).put("model_id", p.modelId()).put("pairs", p.pairs())
                    .put("errors", p.errors()).put("truncated", p.truncated());
            for (String type : RougeScores.TYPES) {
                Bootstrap.Interval i = p.rougeF().get(type);
                line.append(String.format(Locale.ROOT, "  %-24s", String.format(Locale.ROOT, "%.4f [%.4f, %.4f]", i.mean(), i.low(), i.high())));
                n.putObject(type + "_f").put("mean", i.mean()).put("low", i.low()).put("high", i.high());
            }
            line.append(' ').append(p.perplexity() == null ? "-" : String.format(Locale.ROOT, "%.4f", p.perplexity()));
            if (p.perplexity() != null) n.put("perplexity", p.perplexity());
            if (p.latencyMsMean() != null) n.put("latency_ms_mean", p.latencyMsMean());
            out.println(line);
        }
        out.println("report: " + s.report());
        out.println(summary);
        out.flush();
    }
}
