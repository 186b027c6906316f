package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.config.ConfigException;
import dev.zerospark.training.MemoryBench;
import dev.zerospark.zero.ZeroMemoryBench;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * Per-rank memory of a few real training steps (RankTrainer and ZeRO, each rank its own JVM on the TCP ring) of a
 * randomly initialised model, next to the ZeRO paper's formula plus the measured activations; with
 * {@code --ranks-as spark} also the same training as the Spark job (every rank a barrier task of one JVM), measured
 * as that one process. Prints a table and one JSON line.
 */
@Command(name = "memory", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Per-rank peak RSS, heap and tensor bytes of real training steps, next to the ZeRO formula.")
public final class BenchMemoryCommand implements Callable<Integer> {
    private static final double MIB = 1024.0 * 1024;
    /** Config keys whose errors come from one flag of this command. */
    private static final Map<String, String> FLAG_OF_KEY = Map.of("train.precision", "--precision",
            "train.zero.stage", "--zero-stage", "train.world_size", "--world-size", "train.seq_len", "--seq-len",
            "train.micro_batch_size", "--micro-batch", "train.steps", "--steps", "train.threads", "--threads");

    @Option(names = "--arch", paramLabel = "A", defaultValue = "llama", description = "llama | gpt2 (default ${DEFAULT-VALUE}).") String arch;
    @Option(names = "--hidden", paramLabel = "H", required = true, description = "Hidden size (required).") int hidden;
    @Option(names = "--layers", paramLabel = "L", required = true, description = "Transformer blocks (required).") int layers;
    @Option(names = "--heads", paramLabel = "A", required = true, description = "Attention heads (required).") int heads;
    @Option(names = "--kv-heads", paramLabel = "K", description = "Key/value heads, llama only (default: --heads).") Integer kvHeads;
    @Option(names = "--intermediate", paramLabel = "I", description = "MLP width (default: 4H for gpt2, 8H/3 rounded up to 64 for llama).") Integer intermediate;
    @Option(names = "--vocab", paramLabel = "V", defaultValue = "32000", description = "Vocabulary (default ${DEFAULT-VALUE}).") int vocab;
    @Option(names = "--world-size", paramLabel = "N", defaultValue = "2", description = "Ranks, each a JVM (default ${DEFAULT-VALUE}).") int worldSize;
    @Option(names = "--zero-stage", paramLabel = "S", defaultValue = "2", description = "ZeRO stage 0, 1 or 2 (default ${DEFAULT-VALUE}).") int zeroStage;
    @Option(names = "--precision", paramLabel = "P", defaultValue = "fp32", description = "fp32 | bf16 | fp16 (default ${DEFAULT-VALUE}).") String precision;
    @Option(names = "--activation-checkpointing", description = "Recompute each block's forward in backward (default off).") boolean activationCheckpointing;
    @Option(names = "--seq-len", paramLabel = "T", defaultValue = "256", description = "Tokens per sequence (default ${DEFAULT-VALUE}).") int seqLen;
    @Option(names = "--steps", paramLabel = "N", defaultValue = "2", description = "Optimizer steps (default ${DEFAULT-VALUE}; activations are read from the last, when every buffer exists).") int steps;
    @Option(names = "--micro-batch", paramLabel = "B", defaultValue = "1", description = "Sequences per rank per step (default ${DEFAULT-VALUE}).") int microBatch;
    @Option(names = "--threads", paramLabel = "N", defaultValue = "1", description = "Intra-op threads per rank (default ${DEFAULT-VALUE}).") int threads;
    @Option(names = "--rank-heap", paramLabel = "SIZE", description = "-Xmx of each rank JVM, e.g. 2g (default: the JVM's own default).") String rankHeap;
    @Option(names = "--spark-heap", paramLabel = "SIZE", defaultValue = "1g", description = "With --ranks-as spark: -Xmx of the Spark JVM that holds every rank (default ${DEFAULT-VALUE}).") String sparkHeap;
    @Option(names = "--timeout", paramLabel = "S", defaultValue = "600", description = "Collective timeout in seconds (default ${DEFAULT-VALUE}).") long timeoutS;
    @Option(names = "--ranks-as", paramLabel = "HOW", defaultValue = MemoryBench.Options.PROCESSES, description = "processes: "
            + "each rank its own JVM on the TCP ring; spark: that, then the same training as the job `zerospark train` runs "
            + "(TrainJob on Spark local[N], each rank a barrier task) in one JVM, measured as one process (default ${DEFAULT-VALUE}).") String ranksAs;
    @Option(names = "--work-dir", paramLabel = "DIR", description = "Where the ranks meet and log; kept (default: a temp dir, deleted after a successful run).") Path workDir;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        CommandLine cl = spec.commandLine();
        MemoryBench.Options o = options(cl);
        Path dir = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("zs-bench-memory");
        MemoryBench.Result r;
        try {
            r = MemoryBench.run(o, dir);
        } catch (ConfigException e) {
            String flag = FLAG_OF_KEY.get(e.keyPath());
            if (e.keyPath().equals("train.precision")) {
                throw new CommandLine.ParameterException(cl, "--precision " + precision + ": this build cannot train in "
                        + precision + " (" + e.getMessage() + ")");
            }
            throw new CommandLine.ParameterException(cl, (flag != null ? flag + ": " : "") + e.getMessage());
        }
        PrintWriter out = cl.getOut();
        ObjectNode json = toJson(r);
        printTable(out, r);
        if (r.spark() != null) {
            printSpark(out, r, (ObjectNode) json.get("spark"));
        }
        out.println(json);
        out.flush();
        if (workDir == null) {
            org.apache.hadoop.fs.FileUtil.fullyDelete(dir.toFile());
        }
        return CommandLine.ExitCode.OK;
    }

    private MemoryBench.Options options(CommandLine cl) {
        if (!arch.equals("llama") && !arch.equals("gpt2")) {
            throw new CommandLine.ParameterException(cl, "--arch must be llama or gpt2, got '" + arch + "'");
        }
        if (!precision.equals("fp32") && !precision.equals("bf16") && !precision.equals("fp16")) {
            throw new CommandLine.ParameterException(cl, "--precision must be fp32, bf16 or fp16, got '" + precision + "'");
        }
        int kv = kvHeads == null ? heads : kvHeads;
        if (kvHeads != null && arch.equals("gpt2")) {
            throw new CommandLine.ParameterException(cl, "--kv-heads is for --arch llama; gpt2 has one key/value head per head");
        }
        int inner = intermediate != null ? intermediate : arch.equals("gpt2") ? 4 * hidden : (8 * hidden / 3 + 63) / 64 * 64;
        String[][] positive = {{"--hidden", "" + hidden}, {"--layers", "" + layers}, {"--heads", "" + heads},
                {"--kv-heads", "" + kv}, {"--intermediate", "" + inner}, {"--vocab", "" + vocab},
                {"--world-size", "" + worldSize}, {"--steps", "" + steps}, {"--micro-batch", "" + microBatch},
                {"--threads", "" + threads}, {"--timeout", "" + timeoutS}};
        for (String[] p : positive) {
            if (Long.parseLong(p[1]) < 1) {
                throw new CommandLine.ParameterException(cl, p[0] + " must be positive, got " + p[1]);
            }
        }
        for (String[] heap : new String[][] {{"--rank-heap", rankHeap}, {"--spark-heap", sparkHeap}}) {
            if (heap[1] != null && !heap[1].matches("[1-9][0-9]*[kKmMgG]?")) {
                throw new CommandLine.ParameterException(cl, heap[0] + " must be a JVM heap size like 512m or 4g, got '" + heap[1] + "'");
            }
        }
        if (!ranksAs.equals(MemoryBench.Options.PROCESSES) && !ranksAs.equals(MemoryBench.Options.SPARK)) {
            throw new CommandLine.ParameterException(cl, "--ranks-as must be processes or spark, got '" + ranksAs + "'");
        }
        if (ranksAs.equals(MemoryBench.Options.SPARK) && vocab < MemoryBench.SPARK_MIN_VOCAB) {
            throw new CommandLine.ParameterException(cl, "--vocab " + vocab + ": --ranks-as spark trains on a table of ids below "
                    + MemoryBench.SPARK_MIN_VOCAB + ", so the vocabulary must be at least that");
        }
        if (seqLen < 2) {
            throw new CommandLine.ParameterException(cl, "--seq-len must be at least 2, got " + seqLen);
        }
        if (hidden % heads != 0 || heads % kv != 0) {
            throw new CommandLine.ParameterException(cl, "--hidden " + hidden + " must divide by --heads " + heads
                    + ", and --heads by --kv-heads " + kv);
        }
        return new MemoryBench.Options(arch, hidden, layers, heads, kv, inner, vocab, worldSize, zeroStage, precision,
                activationCheckpointing, seqLen, steps, microBatch, threads, rankHeap, timeoutS, UUID.randomUUID().toString(),
                ranksAs, sparkHeap);
    }

    static ObjectNode toJson(MemoryBench.Result r) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode j = m.createObjectNode();
        j.put("bench", "memory").put("ranks_as", r.options().ranksAs()).put("psi", r.psi());
        j.set("options", m.valueToTree(r.options()));
        ZeroMemoryBench.Formula f = r.formula();
        ObjectNode fj = j.putObject("formula");
        fj.put("expression", f.expression()).put("weights", f.weights()).put("gradients", f.gradients())
                .put("master", f.master()).put("moments", f.moments()).put("total", f.total());
        j.put("activations_method", "peak RSS during the last step's forward+backward (VmHWM reset at its start via "
                + "/proc/self/clear_refs) minus RSS at its start; ranks run with GLIBC_TUNABLES="
                + MemoryBench.MALLOC_TUNABLES + " so freed tensors leave RSS");
        var ranks = j.putArray("ranks");
        for (JsonNode rank : r.ranks()) {
            ObjectNode copy = rank.deepCopy();
            copy.put("formula_plus_activations", f.total() + rank.get("activations").asDouble());
            copy.put("ratio_rss_to_formula_plus_activations", r.ratio(rank));
            ranks.add(copy);
        }
        if (r.spark() != null) {
            j.set("spark", sparkJson(r));
        }
        return j;
    }

    /**
     * The Spark JVM's numbers next to what its N ranks should hold: N × the per-rank formula plus the activations the
     * rank processes measured (the Spark job's own are not told apart from the other ranks' in one process).
     */
    static ObjectNode sparkJson(MemoryBench.Result r) {
        ObjectNode s = r.spark().deepCopy();
        int n = r.options().worldSize();
        double activations = 0;
        long processesPeak = 0;
        for (JsonNode rank : r.ranks()) {
            activations += rank.get("activations").asDouble();
            processesPeak += rank.get("peak_rss_with_checkpoint").asLong();
        }
        double expected = n * r.formula().total() + activations;
        s.put("formula_all_ranks", n * r.formula().total()).put("activations_from_processes_run", activations)
                .put("formula_plus_activations_all_ranks", expected)
                .put("ratio_peak_rss_to_formula_plus_activations", s.get("peak_rss_job").asDouble() / expected)
                .put("processes_peak_rss_with_checkpoint_sum", processesPeak);
        return s;
    }

    private static void printTable(PrintWriter out, MemoryBench.Result r) {
        MemoryBench.Options o = r.options();
        ZeroMemoryBench.Formula f = r.formula();
        out.printf(Locale.ROOT, "bench memory: %s, hidden %d, %d layers, %d heads (%d kv), intermediate %d, vocab %d: "
                        + "Ψ = %,d params; N = %d, ZeRO-%d, %s%s, seq %d, micro-batch %d, %d steps, %d threads/rank%n",
                o.arch(), o.hidden(), o.layers(), o.heads(), o.kvHeads(), o.intermediate(), o.vocab(), r.psi(),
                o.worldSize(), o.zeroStage(), o.precision(), o.activationCheckpointing() ? ", activation checkpointing" : "",
                o.seqLen(), o.microBatch(), o.steps(), o.threads());
        out.println("each rank is its own JVM process on the TCP ring (file rendezvous); MiB per rank; formula = "
                + f.expression() + " = " + mib(f.weights()) + " + " + mib(f.gradients()) + " + " + mib(f.master())
                + " (master) + " + mib(f.moments()) + " (m+v)");
        String row = "%4s %9s %8s %8s %9s %8s %8s %8s %8s %8s %8s %8s %9s %9s %6s %9s%n";
        out.printf(Locale.ROOT, row, "rank", "peak_rss", "pk_fwbw", "pk_optim", "+ckpt", "baseline", "heap_pk",
                "weights", "grads", "master", "moments", "activ", "formula", "form+act", "ratio", "tok/s");
        for (JsonNode k : r.ranks()) {
            JsonNode h = k.get("held");
            out.printf(Locale.ROOT, row, k.get("rank").asText(), mib(k.get("peak_rss_steps").asDouble()),
                    mib(k.get("peak_rss_forward_backward").asDouble()), mib(k.get("peak_rss_optimizer").asDouble()),
                    mib(k.get("peak_rss_with_checkpoint").asDouble()), mib(k.get("baseline_rss").asDouble()),
                    mib(k.get("heap_peak_used").asDouble()), mib(h.get("weights").asDouble()),
                    mib(h.get("gradients").asDouble()), mib(h.get("master").asDouble()), mib(h.get("moments").asDouble()),
                    mib(k.get("activations").asDouble()), mib(f.total()),
                    mib(f.total() + k.get("activations").asDouble()), String.format(Locale.ROOT, "%.2f", r.ratio(k)),
                    String.format(Locale.ROOT, "%.1f", k.get("rank_tokens_per_s").asDouble()));
        }
        JsonNode h0 = r.ranks().get(0).get("held");
        out.println("weights = model tensors (" + h0.get("model_dtype").asText() + ") " + mib(h0.get("weights_model").asDouble())
                + " + optimizer's flat copy " + mib(h0.get("weights_optimizer").asDouble()) + "; grads = autograd's "
                + mib(h0.get("gradients_model").asDouble()) + " + optimizer's " + mib(h0.get("gradients_optimizer").asDouble())
                + " (rank 0), the optimizer's fp32 reduced-gradient shard allocated only from the step's reduction to its "
                + "AdamW update; peak_rss = VmHWM during the steps (pk_fwbw: in forward+backward, pk_optim: in the "
                + "reduction and optimizer step), +ckpt includes the final checkpoint; heap_pk = sum of heap pools' "
                + "peaks; activ = RSS growth in the last forward+backward; ratio = peak_rss / form+act (the formula above)");
        if (o.zeroStage() == 2) {
            double fullGrads = f.total() - f.gradients() + f.weights();
            StringBuilder alt = new StringBuilder("for reference, not the ratio above: with full-size gradients (the "
                    + "issue's example " + f.expression().replaceFirst("Ψ/N", "Ψ") + " = " + mib(fullGrads) + ") + activ,"
                    + " peak_rss / that =");
            for (JsonNode k : r.ranks()) {
                alt.append(String.format(Locale.ROOT, " %.2f", k.get("peak_rss_steps").asDouble()
                        / (fullGrads + k.get("activations").asDouble())));
            }
            out.println(alt);
        }
    }

    private static void printSpark(PrintWriter out, MemoryBench.Result r, ObjectNode s) {
        out.printf(Locale.ROOT, "ranks as spark: the same training as the job `zerospark train` runs (TrainJob, %s, %d ranks as "
                + "barrier tasks) in ONE JVM (pid %d), so the numbers are the whole process's, every rank together; MiB%n",
                s.get("master").asText(), s.get("ranks_in_this_jvm").asInt(), s.get("pid").asLong());
        String row = "%9s %9s %8s %8s %9s %9s %10s %6s %9s %8s %8s%n";
        out.printf(Locale.ROOT, row, "peak_rss", "rss_pre", "heap_pk", "heap_max", "N×form", "Σactiv", "N×form+Σa",
                "ratio", "Σproc_pk", "step_s", "tok/s");
        JsonNode last = s.get("steps").get(s.get("steps").size() - 1);
        out.printf(Locale.ROOT, row, mib(s.get("peak_rss_job").asDouble()), mib(s.get("baseline_rss").asDouble()),
                mib(s.get("heap_peak_used").asDouble()), mib(s.get("heap_max").asDouble()),
                mib(s.get("formula_all_ranks").asDouble()), mib(s.get("activations_from_processes_run").asDouble()),
                mib(s.get("formula_plus_activations_all_ranks").asDouble()),
                String.format(Locale.ROOT, "%.2f", s.get("ratio_peak_rss_to_formula_plus_activations").asDouble()),
                mib(s.get("processes_peak_rss_with_checkpoint_sum").asDouble()),
                String.format(Locale.ROOT, "%.1f", last.get("step_s").asDouble()),
                String.format(Locale.ROOT, "%.1f", last.get("tokens_per_s").asDouble()));
        out.println("peak_rss = VmHWM of the Spark JVM over TrainJob.run (reset at its start: Spark's start and the table's "
                + "writing left out; the steps, the final checkpoint and the metrics table in); rss_pre = its RSS before the job; "
                + "Σactiv = the activations the rank processes above measured (not measured in this JVM); ratio = peak_rss / "
                + "N×form+Σa; Σproc_pk = the rank processes' peak RSS (+ckpt) summed; step_s, tok/s: the last step, all ranks");
    }

    private static String mib(double bytes) {
        return String.format(Locale.ROOT, "%.0f", bytes / MIB);
    }
}
