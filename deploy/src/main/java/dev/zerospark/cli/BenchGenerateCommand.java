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
import dev.zerospark.data.generate.internal.ModelCache;
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
import java.lang.management.ManagementFactory;
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
    @Option(names = "--rows-per-task", paramLabel = "N", defaultValue = "" + GenerateOptions.DEFAULT_ROWS_PER_TASK,
            description = "The job's articles per task and chunk; fewer make several chunks, whose commits overlap generation (default ${DEFAULT-VALUE}).") int rowsPerTask;
    @Option(names = "--repeats", paramLabel = "N", defaultValue = "3",
            description = "Times the job and the in-process loop run, taking turns; medians are reported (default ${DEFAULT-VALUE}).") int repeats;
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
        if (articles < 1 || maxNew < 1 || batchTokens < 1 || threads < 1 || rowsPerTask < 1 || repeats < 1 || batch1Rows < 0) {
            throw new CommandLine.ParameterException(cl, "--articles, --max-new-tokens, --batch-tokens, --threads, --rows-per-task and --repeats must be >= 1,"
                    + " --batch1-rows >= 0");
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
        long opening = System.nanoTime();
        try (TextCompleter completer = TextCompleter.open(modelDir)) {
            double inProcessLoad = (System.nanoTime() - opening) / 1e9;
            long rendering = System.nanoTime();
            PromptTemplate template = PromptTemplates.RIDDLE;
            int budget = config.maxPositions() - maxNew;
            List<BatchGenerator.Row> prompts = new ArrayList<>();
            for (Row r : rows) {
                int[] ids = template.render(new TemplateInput(r.getString(1), r.getString(2), List.of()), completer.tokenizer(), budget).tokenIds();
                prompts.add(new BatchGenerator.Row(ids, BatchGenerator.rowSeed(0, r.getString(0))));
            }
            // The in-process loop's per-article work outside generation, which the job does in its tasks.
            double inProcessSetup = (System.nanoTime() - rendering) / 1e9;
            GenerationOptions greedy = completer.options(maxNew, 0, 0, 1, 0, List.of());
            BatchGenerator generator = new BatchGenerator(completer.model());

            // Warm the JIT on the decoding loop both paths share, and on the job's own path (Spark, Delta, the executor's
            // model load) with a small run, so that neither path's timed turns pay this JVM's one-time compilation.
            TrainStepBench.setThreads(threads);
            generator.generate(prompts.subList(0, Math.min(8, prompts.size())), greedy, batchTokens, null);
            TrainStepBench.setThreads(taskCpus);
            GenerateJob.run(spark, new GenerateOptions(modelDir.toString(), input, work.resolve("tables/generations-warm-up").toString(), "riddle",
                    null, null, 16L, Articles.ARTICLE_ID, Articles.TEXT, Articles.TITLE, maxNew, 0, 0, 1, 0, List.of(), "fp32", batchTokens,
                    threads / taskCpus, rowsPerTask));
            // The job and the in-process loop take turns, `repeats` times, so that both meet about the same load from
            // the machine's other users; the medians are reported, and every pair.
            ArrayNode pairs = json.putArray("repeats");
            GenerateSummary job = null;
            GenerateJobTimer timer = null;
            List<BatchGenerator.Output> batched = null;
            Map<String, String> jobText = new HashMap<>();
            double[] jobRates = new double[repeats];
            double[] jobEndToEndRates = new double[repeats];
            double[] inProcessRates = new double[repeats];
            double[] pairRatios = new double[repeats];
            double[] pairEndToEnd = new double[repeats];
            double[] pairCpu = new double[repeats];
            for (int rep = 0; rep < repeats; rep++) {
                // The job: T/C tasks with C libtorch threads each (set by each task) use the T cores. A fresh output each time.
                TrainStepBench.setThreads(taskCpus);
                String output = work.resolve("tables/generations-" + rep).toString();
                timer = new GenerateJobTimer(spark);
                double cpu0 = processCpuSeconds();
                timer.begin();
                job = GenerateJob.run(spark, new GenerateOptions(modelDir.toString(), input, output, "riddle", null, null, null,
                        Articles.ARTICLE_ID, Articles.TEXT, Articles.TITLE, maxNew, 0, 0, 1, 0, List.of(), "fp32", batchTokens,
                        threads / taskCpus, rowsPerTask), timer);
                timer.finish();
                double jobCpu = processCpuSeconds() - cpu0;
                jobRates[rep] = job.completionTokens() / timer.perArticleSeconds();
                jobEndToEndRates[rep] = job.completionTokens() / timer.wallSeconds();
                if (rep == 0) {
                    for (Row r : spark.read().format("delta").load(output).select(Generations.ARTICLE_ID, Generations.COMPLETION).collectAsList()) {
                        jobText.put(r.getString(0), r.getString(1));
                    }
                }

                TrainStepBench.setThreads(threads);
                cpu0 = processCpuSeconds();
                long t0 = System.nanoTime();
                batched = generator.generate(prompts, greedy, batchTokens, null);
                double seconds = (System.nanoTime() - t0) / 1e9;
                double inCpu = processCpuSeconds() - cpu0;
                inProcessRates[rep] = batched.stream().mapToLong(o -> o.tokens().length).sum() / seconds;
                pairRatios[rep] = jobRates[rep] / inProcessRates[rep];
                pairEndToEnd[rep] = jobEndToEndRates[rep] / (batched.stream().mapToLong(o -> o.tokens().length).sum() / (seconds + inProcessSetup));
                // CPU seconds for the same tokens: less swayed by the machine's other users than wall time. The job's
                // count is the whole JVM's (driver, Spark, Delta and the tasks), one-time start-up included.
                pairCpu[rep] = inCpu / jobCpu;
                ObjectNode pair = pairs.addObject().put("job_tokens_per_s", jobRates[rep]).put("job_tokens_per_s_end_to_end", jobEndToEndRates[rep])
                        .put("job_cpu_seconds", jobCpu).put("in_process_tokens_per_s", inProcessRates[rep]).put("in_process_cpu_seconds", inCpu)
                        .put("job_vs_in_process", pairRatios[rep]).put("load_average", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
                timer.fill(pair);
            }
            long inProcessTokens = batched.stream().mapToLong(o -> o.tokens().length).sum();
            PathRun jobRun = new PathRun(job.completionTokens(), job.completionTokens() / median(jobRates));
            PathRun jobEndToEnd = new PathRun(job.completionTokens(), job.completionTokens() / median(jobEndToEndRates));
            PathRun inProcess = new PathRun(inProcessTokens, inProcessTokens / median(inProcessRates));
            PathRun inProcessEndToEnd = new PathRun(inProcess.tokens(), inProcess.seconds() + inProcessSetup);
            List<BatchGenerator.Row> few = prompts.subList(0, Math.min(batch1Rows, prompts.size()));
            long t0 = System.nanoTime();
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
            timer.fill((ObjectNode) json.get("job")); // the last repeat's phases
            ((ObjectNode) json.get("ratios")).put("job_vs_in_process", median(pairRatios));
            ((ObjectNode) json.get("job")).put("seconds_end_to_end", jobEndToEnd.seconds()).put("tokens_per_s_end_to_end", jobEndToEnd.tokensPerS());
            ((ObjectNode) json.get("job")).put("warm_up_model_load_seconds", ModelCache.loadSeconds());
            ((ObjectNode) json.get("in_process")).put("model_load_seconds", inProcessLoad).put("setup_seconds", inProcessSetup).put("tokens_per_s_end_to_end", inProcessEndToEnd.tokensPerS());
            ((ObjectNode) json.get("ratios")).put("job_vs_in_process_end_to_end", median(pairEndToEnd))
                    .put("job_vs_in_process_per_cpu_second", median(pairCpu));
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
        String row = "%-56s %12s %10s %12s%n";
        out.printf(Locale.ROOT, row, "path", "tokens/s", "seconds", "rows differ");
        JsonNode job = j.get("job");
        JsonNode in = j.get("in_process");
        JsonNode pt = j.get("pytorch");
        String tasks = j.get("threads").asInt() / job.get("torch_threads_per_task").asInt() + " x " + job.get("torch_threads_per_task").asInt() + " thr";
        out.printf(Locale.ROOT, row, "generate job, " + job.get("master").asText() + ", " + tasks + ", less one-time start-up",
                f1(job, "tokens_per_s"), f2(job, "seconds"), job.get("rows_differing_from_in_process").asText());
        out.printf(Locale.ROOT, row, "generate job, end to end", f1(job, "tokens_per_s_end_to_end"), f2(job, "seconds_end_to_end"), "-");
        out.printf(Locale.ROOT, row, "in-process BatchGenerator, batched (generation only)", f1(in, "tokens_per_s"), f2(in, "seconds"), "-");
        out.printf(Locale.ROOT, row, "in-process, end to end (+ rendering)", f1(in, "tokens_per_s_end_to_end"),
                String.format(Locale.ROOT, "%.2f", in.get("seconds").asDouble() + in.get("setup_seconds").asDouble()), "-");
        out.printf(Locale.ROOT, row, "in-process BatchGenerator, batch 1 (" + in.get("batch1_rows").asInt() + " rows)",
                f1(in, "batch1_tokens_per_s"), "-", in.get("batch1_rows_differing").asText());
        out.printf(Locale.ROOT, row, "pytorch eager, same batches", pt == null || pt.isNull() ? "absent" : f1(pt, "tokens_per_s"),
                pt == null || pt.isNull() ? "-" : f2(pt, "seconds"), pt == null || pt.isNull() ? "-" : pt.get("rows_differing_from_in_process").asText());
        JsonNode r = j.get("ratios");
        out.printf(Locale.ROOT, "batched vs batch-1 speedup: %.2fx%n", in.get("batched_speedup").asDouble());
        out.printf(Locale.ROOT, "job, last turn: one-time start-up %.2f s (driver checks, model id, counting pass) + model load %.2f s; then generating %.2f s"
                        + " (%d tasks, at most %d at once, each %.2f..%.2f s, the last alone %.2f s), then %.2f s waiting for the last commit%n",
                job.get("startup_seconds").asDouble(), job.get("model_load_seconds").asDouble(), job.get("generating_seconds").asDouble(),
                job.get("generating_tasks").asInt(), job.get("tasks_at_once_max").asInt(), job.get("task_run_seconds_min").asDouble(),
                job.get("task_run_seconds_max").asDouble(), job.get("last_task_alone_seconds").asDouble(), job.get("last_commit_wait_seconds").asDouble());
        for (JsonNode p : j.get("repeats")) {
            out.printf(Locale.ROOT, "  turn: job %.1f tokens/s (%.1f end to end; %.1f CPU s, %.1f of them in the generating tasks, tasks %.2f..%.2f s"
                            + " (CPU %.2f..%.2f s), last alone %.2f s), in-process %.1f tokens/s (%.1f CPU s): %.2fx, load average %.1f%n", p.get("job_tokens_per_s").asDouble(),
                    p.get("job_tokens_per_s_end_to_end").asDouble(), p.get("job_cpu_seconds").asDouble(),
                    p.get("generating_tasks_cpu_seconds").asDouble(), p.get("task_run_seconds_min").asDouble(),
                    p.get("task_run_seconds_max").asDouble(), p.get("task_cpu_seconds_min").asDouble(), p.get("task_cpu_seconds_max").asDouble(),
                    p.get("last_task_alone_seconds").asDouble(), p.get("in_process_tokens_per_s").asDouble(),
                    p.get("in_process_cpu_seconds").asDouble(), p.get("job_vs_in_process").asDouble(), p.get("load_average").asDouble());
        }
        out.printf(Locale.ROOT, "job / in-process: %.2fx (target >= 0.9; median of the turns). Same work timed on both sides: the job's wall time less its one-time"
                + " start-up and model load (it keeps dealing, scheduling, rendering, row building and every Delta commit) vs the in-process"
                + " generation; a run over more articles pays the start-up once%n", r.get("job_vs_in_process").asDouble());
        out.printf(Locale.ROOT, "job / in-process, end to end: %.2fx (median of the turns; the job's one-time start-up, rendering and commits included;"
                + " no model load on either side, both loaded before: the job's executor in %.2f s, the in-process one in %.2f s)%n",
                r.get("job_vs_in_process_end_to_end").asDouble(), job.get("warm_up_model_load_seconds").asDouble(),
                in.get("model_load_seconds").asDouble());
        out.printf(Locale.ROOT, "job / in-process, tokens per CPU second: %.2fx (median; the job's CPU is the whole JVM's: driver, Spark, Delta,"
                + " tasks, start-up included; less swayed by a busy machine than wall time)%n", r.get("job_vs_in_process_per_cpu_second").asDouble());
        if (r.get("in_process_vs_pytorch").isNull()) {
            out.println("in-process / pytorch: n/a (" + j.get("pytorch_absent").asText() + ")");
        } else {
            out.printf(Locale.ROOT, "in-process / pytorch: %.2fx (target >= 1.0); pytorch BLAS %s, GLIBC_TUNABLES=%s%n",
                    r.get("in_process_vs_pytorch").asDouble(), pt.path("blas").path("alternative").asText("?"),
                    pt.path("glibc_tunables").asText("unset"));
        }
    }

    /** This JVM's CPU time: the driver and (at local[T]) the executor's tasks, or the in-process loop. */
    private static double processCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String f1(JsonNode n, String key) {
        return String.format(Locale.ROOT, "%.1f", n.get(key).asDouble());
    }

    private static String f2(JsonNode n, String key) {
        return String.format(Locale.ROOT, "%.2f", n.get(key).asDouble());
    }
}
