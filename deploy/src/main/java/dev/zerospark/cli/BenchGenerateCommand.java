package dev.zerospark.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.PrepareJob;
import dev.zerospark.data.generate.GenerateJob;
import dev.zerospark.data.generate.GenerateOptions;
import dev.zerospark.data.generate.GenerateSummary;
import dev.zerospark.data.sample.SampleCorpus;
import dev.zerospark.data.tokenize.TokenizerTraining;
import dev.zerospark.generate.BatchGenerator;
import dev.zerospark.generate.GenerationOptions;
import dev.zerospark.generate.TextCompleter;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.HfCheckpointWriter;
import dev.zerospark.model.ModelConfig;
import dev.zerospark.model.RandomInit;
import dev.zerospark.spark.SparkSessions;
import dev.zerospark.table.Articles;
import dev.zerospark.table.Generations;
import dev.zerospark.template.PromptTemplate;
import dev.zerospark.template.PromptTemplates;
import dev.zerospark.template.TemplateInput;
import dev.zerospark.train.TrainStepBench;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the same prompts (the sample corpus's articles through {@code prepare}, rendered with the riddle template,
 * greedy, no stop strings, so every path does the same work) through three paths in one run: the {@code generate}
 * Spark job at local[T] (T/C tasks of C = {@code --task-cpus} libtorch threads each), the core {@link BatchGenerator} in this process (T
 * libtorch threads) with the same static batches, and PyTorch eager ({@code deploy/bench/generate_torch.py}, T
 * threads) on those batches. Checks that the three produced the same tokens, then prints a table and a JSON line.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Tokens/s of the generate job, the in-process batched loop and PyTorch eager, on the same prompts.")
public final class BenchGenerateCommand implements Callable<Integer> {
    static final String SCRIPT = "deploy/bench/generate_torch.py";

    @Option(names = "--articles", paramLabel = "N", defaultValue = "300", description = "Sample articles to generate for (default ${DEFAULT-VALUE}).") int articles;
    @Option(names = "--arch", paramLabel = "A", defaultValue = "gpt2", description = "gpt2 | llama, random init (default ${DEFAULT-VALUE}).") String arch;
    @Option(names = "--layers", paramLabel = "N", defaultValue = "4", description = "Transformer blocks (default ${DEFAULT-VALUE}).") int layers;
    @Option(names = "--d-model", paramLabel = "C", defaultValue = "256", description = "Hidden size (default ${DEFAULT-VALUE}).") int dModel;
    @Option(names = "--heads", paramLabel = "H", defaultValue = "4", description = "Attention heads (default ${DEFAULT-VALUE}).") int heads;
    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "32", description = "Tokens generated per article (default ${DEFAULT-VALUE}).") int maxNew;
    @Option(names = "--batch-tokens", paramLabel = "N", defaultValue = "8192", description = "Batch budget, rows x (prompt + max_new_tokens) (default ${DEFAULT-VALUE}).") int batchTokens;
    @Option(names = "--batch1-rows", paramLabel = "N", defaultValue = "24", description = "Rows timed one at a time for the batch-1 rate (default ${DEFAULT-VALUE}).") int batch1Rows;
    @Option(names = "--threads", paramLabel = "T", defaultValue = "2", description = "Cores every path gets (default ${DEFAULT-VALUE}).") int threads;
    @Option(names = "--task-cpus", paramLabel = "C", defaultValue = "1",
            description = "spark.task.cpus for the job: T/C tasks of C libtorch threads each; C = T is one task like the in-process loop (default ${DEFAULT-VALUE}).") int taskCpus;
    @Option(names = "--work-dir", paramLabel = "DIR", description = "Where the sample, tables and model go (default: a temp directory).") Path workDir;
    @Option(names = "--python", paramLabel = "EXE", defaultValue = "/usr/bin/python3",
            description = "Interpreter with Debian's python3-torch (default ${DEFAULT-VALUE}).") Path python;
    @Option(names = "--torch-script", paramLabel = "FILE", description = "PyTorch baseline script (default: " + SCRIPT + ").") Path torchScript;
    @Option(names = "--no-baseline", description = "Skip the PyTorch eager run.") boolean noBaseline;
    @Option(names = "--baseline-timeout", paramLabel = "S", defaultValue = "1800", description = "Seconds the PyTorch run may take (default ${DEFAULT-VALUE}).") long baselineTimeout;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** One path's result: new tokens, seconds, and each article's new tokens (or text, for the job). */
    private record PathRun(long tokens, double seconds) {
        double tokensPerS() {
            return tokens / seconds;
        }
    }

    @Override
    public Integer call() throws IOException {
        CommandLine cl = spec.commandLine();
        if (articles < 1 || maxNew < 1 || batchTokens < 1 || threads < 1 || batch1Rows < 0) {
            throw new CommandLine.ParameterException(cl, "--articles, --max-new-tokens, --batch-tokens and --threads must be >= 1, --batch1-rows >= 0");
        }
        if (taskCpus < 1 || threads % taskCpus != 0) {
            throw new CommandLine.ParameterException(cl, "--task-cpus must divide --threads " + threads + ", got " + taskCpus);
        }
        Path work = workDir != null ? workDir.toAbsolutePath() : Files.createTempDirectory("zerospark-bench-generate");
        PrintWriter out = cl.getOut();
        SparkSession spark = SparkSessions.getOrCreate("zerospark-bench-generate", "local[" + threads + "]",
                Map.of("spark.task.cpus", Integer.toString(taskCpus)));
        Path tokenizer = work.resolve("tokenizer");
        PrepareConfig cfg = PrepareConfig.defaults().with(SampleCorpus.write(work.resolve("sample"), articles, 42).toString(),
                "jsonl", tokenizer.toString(), work.resolve("tables").toString(), 128);
        TokenizerTraining.train(TokenizerTraining.rawTexts(spark, cfg), 1024, 2, 2_000_000, tokenizer);
        PrepareJob.run(spark, cfg);
        String input = PrepareJob.table(cfg, PrepareJob.ARTICLES);
        Path modelDir = work.resolve("model");
        ModelConfig config = TrainStepBench.config(new TrainStepBench.Options(arch, layers, dModel, heads, 1024, 1024, 1, 0, 1));
        try (NDManager m = NDManager.newBaseManager("PyTorch"); CausalLm model = RandomInit.create(config, m, 7)) {
            HfCheckpointWriter.save(model, modelDir, HfCheckpointWriter.Options.defaults(tokenizer));
        }
        List<Row> rows = spark.read().format("delta").load(input).orderBy(Articles.ARTICLE_ID)
                .select(Articles.ARTICLE_ID, Articles.TITLE, Articles.TEXT).collectAsList();

        int previousThreads = TrainStepBench.threads();
        ObjectNode json = new ObjectMapper().createObjectNode();
        try (TextCompleter completer = TextCompleter.open(modelDir)) {
            PromptTemplate template = PromptTemplates.RIDDLE;
            int budget = config.maxPositions() - maxNew;
            List<BatchGenerator.Row> prompts = new ArrayList<>();
            for (Row r : rows) {
                int[] ids = template.render(new TemplateInput(r.getString(1), r.getString(2), List.of()), completer.tokenizer(), budget).tokenIds();
                prompts.add(new BatchGenerator.Row(ids, BatchGenerator.rowSeed(0, r.getString(0))));
            }
            GenerationOptions greedy = completer.options(maxNew, 0, 0, 1, 0, List.of());
            BatchGenerator generator = new BatchGenerator(completer.model());

            // Warm the JIT on the decoding loop both paths share, so the job, timed first, does not pay for it alone.
            TrainStepBench.setThreads(threads);
            generator.generate(prompts.subList(0, Math.min(8, prompts.size())), greedy, batchTokens, null);
            // The job first: T/C tasks with C libtorch threads each (set by each task) use the T cores.
            TrainStepBench.setThreads(taskCpus);
            long t0 = System.nanoTime();
            GenerateSummary job = GenerateJob.run(spark, new GenerateOptions(modelDir.toString(), input, work.resolve("tables/generations").toString(),
                    "riddle", null, null, null, Articles.ARTICLE_ID, Articles.TEXT, Articles.TITLE, maxNew, 0, 0, 1, 0, List.of(), "fp32",
                    batchTokens, threads / taskCpus, GenerateOptions.DEFAULT_ROWS_PER_TASK));
            PathRun jobRun = new PathRun(job.completionTokens(), (System.nanoTime() - t0) / 1e9);
            Map<String, String> jobText = new HashMap<>();
            for (Row r : spark.read().format("delta").load(work.resolve("tables/generations").toString())
                    .select(Generations.ARTICLE_ID, Generations.COMPLETION).collectAsList()) {
                jobText.put(r.getString(0), r.getString(1));
            }

            TrainStepBench.setThreads(threads);
            t0 = System.nanoTime();
            List<BatchGenerator.Output> batched = generator.generate(prompts, greedy, batchTokens, null);
            PathRun inProcess = new PathRun(batched.stream().mapToLong(o -> o.tokens().length).sum(), (System.nanoTime() - t0) / 1e9);
            List<BatchGenerator.Row> few = prompts.subList(0, Math.min(batch1Rows, prompts.size()));
            t0 = System.nanoTime();
            List<BatchGenerator.Output> single = generator.generate(few, greedy, 1, null);
            PathRun batch1 = new PathRun(single.stream().mapToLong(o -> o.tokens().length).sum(), (System.nanoTime() - t0) / 1e9);

            int jobMismatch = 0;
            int batch1Mismatch = 0;
            for (int i = 0; i < rows.size(); i++) {
                String text = completer.tokenizer().decode(batched.get(i).tokens(), true);
                if (!text.equals(jobText.get(rows.get(i).getString(0)))) jobMismatch++;
                if (i < single.size() && !java.util.Arrays.equals(single.get(i).tokens(), batched.get(i).tokens())) batch1Mismatch++;
            }

            TorchTrainStepBaseline.Outcome torch = noBaseline ? TorchTrainStepBaseline.Outcome.absent("skipped (--no-baseline)")
                    : baseline(prompts, greedy, completer, modelDir, work);
            int torchMismatch = -1;
            if (torch.result() != null) {
                torchMismatch = 0;
                JsonNode outs = torch.result().path("outputs");
                List<List<Integer>> plan = BatchGenerator.plan(prompts, maxNew, batchTokens);
                int k = 0;
                for (List<Integer> batch : plan) {
                    for (int i : batch) {
                        int[] theirs = new ObjectMapper().convertValue(outs.get(k++), int[].class);
                        if (!java.util.Arrays.equals(theirs, batched.get(i).tokens())) torchMismatch++;
                    }
                }
            }
            fill(json, config, rows.size(), prompts, jobRun, job, inProcess, batch1, torch, jobMismatch, batch1Mismatch, torchMismatch);
        } finally {
            TrainStepBench.setThreads(previousThreads);
        }
        printTable(out, json);
        out.println(json);
        out.flush();
        return CommandLine.ExitCode.OK;
    }

    /** Hands the in-process path's static batches to the PyTorch script. */
    private TorchTrainStepBaseline.Outcome baseline(List<BatchGenerator.Row> prompts, GenerationOptions greedy, TextCompleter completer,
                                                    Path modelDir, Path work) {
        Path script = ProjectFiles.locate(torchScript, SCRIPT);
        if (script == null) {
            return TorchTrainStepBaseline.Outcome.failure("cannot find " + SCRIPT + "; pass --torch-script FILE");
        }
        ObjectMapper m = new ObjectMapper();
        ObjectNode spec = m.createObjectNode();
        spec.put("max_new_tokens", maxNew).put("pad", greedy.padTokenId());
        ArrayNode eos = spec.putArray("eos");
        completer.eosTokenIds().forEach(eos::add);
        ArrayNode batches = spec.putArray("batches");
        for (List<Integer> batch : BatchGenerator.plan(prompts, maxNew, batchTokens)) {
            ArrayNode b = batches.addArray();
            for (int i : batch) {
                ArrayNode row = b.addArray();
                for (int id : prompts.get(i).promptTokens()) row.add(id);
            }
        }
        Path file = work.resolve("batches.json");
        try {
            m.writeValue(file.toFile(), spec);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return new TorchTrainStepBaseline(python, script, baselineTimeout)
                .runScript(List.of("--model", modelDir.toString(), "--batches", file.toString()), threads);
    }

    private void fill(ObjectNode j, ModelConfig config, int n, List<BatchGenerator.Row> prompts, PathRun jobRun, GenerateSummary job,
                      PathRun inProcess, PathRun batch1, TorchTrainStepBaseline.Outcome torch, int jobMismatch, int batch1Mismatch,
                      int torchMismatch) {
        j.put("bench", "generate").put("arch", arch).put("layers", layers).put("d_model", dModel).put("heads", heads)
                .put("context", config.maxPositions()).put("articles", n).put("max_new_tokens", maxNew)
                .put("batch_tokens", batchTokens).put("threads", threads)
                .put("prompt_tokens_min", prompts.stream().mapToInt(p -> p.promptTokens().length).min().orElse(0))
                .put("prompt_tokens_max", prompts.stream().mapToInt(p -> p.promptTokens().length).max().orElse(0));
        j.putObject("job").put("master", "local[" + threads + "]").put("torch_threads_per_task", taskCpus)
                .put("new_tokens", jobRun.tokens()).put("seconds", jobRun.seconds()).put("tokens_per_s", jobRun.tokensPerS())
                .put("tokens_per_s_reported", job.tokensPerS()).put("errors", job.errors()).put("truncated", job.truncated())
                .put("rows_differing_from_in_process", jobMismatch);
        j.putObject("in_process").put("torch_threads", threads).put("new_tokens", inProcess.tokens())
                .put("seconds", inProcess.seconds()).put("tokens_per_s", inProcess.tokensPerS())
                .put("batch1_rows", batch1Mismatch >= 0 ? Math.min(batch1Rows, n) : 0)
                .put("batch1_tokens_per_s", batch1.tokensPerS()).put("batched_speedup", inProcess.tokensPerS() / batch1.tokensPerS())
                .put("batch1_rows_differing", batch1Mismatch);
        JsonNode pt = torch.result();
        if (pt == null) {
            j.putNull("pytorch");
            j.put("pytorch_absent", torch.absentReason());
        } else {
            ObjectNode p = j.putObject("pytorch");
            p.put("engine", "torch " + pt.path("torch_version").asText() + " eager (" + pt.path("python").asText() + ")")
                    .put("threads", pt.path("threads").asInt()).put("new_tokens", pt.path("new_tokens").asLong())
                    .put("seconds", pt.path("seconds").asDouble()).put("tokens_per_s", pt.path("tokens_per_s").asDouble())
                    .put("rows_differing_from_in_process", torchMismatch);
            p.set("blas", pt.path("blas"));
            p.set("glibc_tunables", pt.path("glibc_tunables"));
            p.set("omp_wait_policy", pt.path("omp_wait_policy"));
        }
        ObjectNode r = j.putObject("ratios");
        r.put("job_vs_in_process", jobRun.tokensPerS() / inProcess.tokensPerS());
        if (pt != null) r.put("in_process_vs_pytorch", inProcess.tokensPerS() / pt.path("tokens_per_s").asDouble());
        else r.putNull("in_process_vs_pytorch");
        j.putObject("targets").put("job_vs_in_process", 0.9).put("in_process_vs_pytorch", 1.0);
        j.put("zerospark_glibc_tunables", System.getenv("GLIBC_TUNABLES"));
    }

    private static void printTable(PrintWriter out, ObjectNode j) {
        out.printf(Locale.ROOT, "bench generate: %s %d layers d=%d, context %d, %d articles (prompts %d..%d tokens), %d new tokens each,"
                        + " greedy, batch_tokens %d, %d threads%n", j.get("arch").asText(), j.get("layers").asInt(), j.get("d_model").asInt(),
                j.get("context").asInt(), j.get("articles").asInt(), j.get("prompt_tokens_min").asInt(), j.get("prompt_tokens_max").asInt(),
                j.get("max_new_tokens").asInt(), j.get("batch_tokens").asInt(), j.get("threads").asInt());
        String row = "%-44s %12s %10s %12s%n";
        out.printf(Locale.ROOT, row, "path", "tokens/s", "seconds", "rows differ");
        JsonNode job = j.get("job");
        JsonNode in = j.get("in_process");
        JsonNode pt = j.get("pytorch");
        out.printf(Locale.ROOT, row, "generate job, " + job.get("master").asText() + ", " + j.get("threads").asInt() / job.get("torch_threads_per_task").asInt()
                + " x " + job.get("torch_threads_per_task").asInt() + " thr (Delta)", f1(job, "tokens_per_s"), f2(job, "seconds"),
                job.get("rows_differing_from_in_process").asText());
        out.printf(Locale.ROOT, row, "in-process BatchGenerator, batched", f1(in, "tokens_per_s"), f2(in, "seconds"), "-");
        out.printf(Locale.ROOT, row, "in-process BatchGenerator, batch 1 (" + in.get("batch1_rows").asInt() + " rows)",
                f1(in, "batch1_tokens_per_s"), "-", in.get("batch1_rows_differing").asText());
        out.printf(Locale.ROOT, row, "pytorch eager, same batches", pt == null || pt.isNull() ? "absent" : f1(pt, "tokens_per_s"),
                pt == null || pt.isNull() ? "-" : f2(pt, "seconds"), pt == null || pt.isNull() ? "-" : pt.get("rows_differing_from_in_process").asText());
        JsonNode r = j.get("ratios");
        out.printf(Locale.ROOT, "batched vs batch-1 speedup: %.2fx%n", in.get("batched_speedup").asDouble());
        out.printf(Locale.ROOT, "job / in-process: %.2fx (target >= 0.9)%n", r.get("job_vs_in_process").asDouble());
        if (r.get("in_process_vs_pytorch").isNull()) {
            out.println("in-process / pytorch: n/a (" + j.get("pytorch_absent").asText() + ")");
        } else {
            out.printf(Locale.ROOT, "in-process / pytorch: %.2fx (target >= 1.0); pytorch BLAS %s, GLIBC_TUNABLES=%s%n",
                    r.get("in_process_vs_pytorch").asDouble(), pt.path("blas").path("alternative").asText("?"),
                    pt.path("glibc_tunables").asText("unset"));
        }
    }

    private static String f1(JsonNode n, String key) {
        return String.format(Locale.ROOT, "%.1f", n.get(key).asDouble());
    }

    private static String f2(JsonNode n, String key) {
        return String.format(Locale.ROOT, "%.2f", n.get(key).asDouble());
    }
}
