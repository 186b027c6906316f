package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.train.ModelFlops;
import dev.zerospark.train.TrainDevice;
import dev.zerospark.train.TrainStepBench;
import dev.zerospark.zero.TrainStepBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import dev.zerospark.model.Precision;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Times zerospark's training step (forward, backward, AdamW) and then the same model and step in PyTorch eager
 * (Debian's python3-torch on OpenBLAS, {@code deploy/bench/train_step_torch.py}) at the same thread count, one after
 * the other in this command. Prints a table and one JSON line. MFU is against the faster of the two fp32 1024^3
 * matmul rates measured in this run. Exit 0 when zerospark ran (the baseline may be absent: python3-torch not
 * installed), 1 when the baseline script failed.
 */
@Command(name = "train-step", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Forward+backward+AdamW step of a fresh model, next to the same step in PyTorch eager.")
public final class BenchTrainStepCommand implements Callable<Integer> {
    @Option(names = "--arch", paramLabel = "A", defaultValue = "gpt2", description = "gpt2 | llama (default ${DEFAULT-VALUE}).") String arch;
    @Option(names = "--layers", paramLabel = "N", defaultValue = "4", description = "Transformer blocks (default ${DEFAULT-VALUE}).") int layers;
    @Option(names = "--d-model", paramLabel = "C", defaultValue = "256", description = "Hidden size (default ${DEFAULT-VALUE}).") int dModel;
    @Option(names = "--heads", paramLabel = "H", defaultValue = "4", description = "Attention heads (default ${DEFAULT-VALUE}).") int heads;
    @Option(names = "--vocab", paramLabel = "V", defaultValue = "8192", description = "Vocabulary size (default ${DEFAULT-VALUE}).") int vocab;
    @Option(names = "--seq", paramLabel = "T", defaultValue = "256", description = "Tokens per sequence (default ${DEFAULT-VALUE}).") int seq;
    @Option(names = "--batch", paramLabel = "B", defaultValue = "8", description = "Sequences per step (default ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--steps", paramLabel = "N", defaultValue = "5", description = "Timed steps (default ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--warmup", paramLabel = "N", defaultValue = "2", description = "Untimed steps first (default ${DEFAULT-VALUE}).") int warmup;
    @Option(names = "--threads", paramLabel = "N", description = "Intra-op threads for both sides (default: libtorch's default here).") Integer threads;
    @Option(names = "--python", paramLabel = "EXE", defaultValue = "/usr/bin/python3",
            description = "Interpreter with Debian's python3-torch (default ${DEFAULT-VALUE}; a pyenv python3 does not see it).") Path python;
    @Option(names = "--torch-script", paramLabel = "FILE", description = "PyTorch reference script (default: " + TorchTrainStepBaseline.SCRIPT + ").") Path torchScript;
    @Option(names = "--no-baseline", description = "Skip the PyTorch eager run.") boolean noBaseline;
    @Option(names = "--precision", paramLabel = "P", defaultValue = "fp32",
            description = "zerospark's model in fp32, or bf16/fp16 mixed precision (fp32 master weights and AdamW) "
                    + "(default ${DEFAULT-VALUE}); the PyTorch baseline runs the same recipe in fp32 or bf16 and is "
                    + "skipped for fp16.") String precision;
    @Option(names = "--device", paramLabel = "D", defaultValue = "cpu", description = "cpu | cuda:N (default ${DEFAULT-VALUE}); the PyTorch baseline runs on the CPU only.") String device;
    @Option(names = "--baseline-timeout", paramLabel = "S", defaultValue = "1800", description = "Seconds the PyTorch run may take (default ${DEFAULT-VALUE}).") long baselineTimeout;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        if (!arch.equals("gpt2") && !arch.equals("llama")) {
            throw new CommandLine.ParameterException(cl, "--arch must be gpt2 or llama, got '" + arch + "'");
        }
        if (dModel % heads != 0) {
            throw new CommandLine.ParameterException(cl, "--d-model " + dModel + " is not divisible by --heads " + heads);
        }
        for (int[] v : new int[][] {{layers, 1}, {dModel, 1}, {heads, 1}, {vocab, 1}, {seq, 2}, {batch, 1}, {steps, 1}}) {
            if (v[0] < v[1]) {
                throw new CommandLine.ParameterException(cl, "sizes must be positive (--seq >= 2), got layers " + layers
                        + ", d-model " + dModel + ", heads " + heads + ", vocab " + vocab + ", seq " + seq + ", batch "
                        + batch + ", steps " + steps);
            }
        }
        if (warmup < 0 || (threads != null && threads < 1)) {
            throw new CommandLine.ParameterException(cl, "--warmup must be >= 0 and --threads >= 1");
        }
        Precision p;
        try {
            p = Precision.of(precision);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--precision: " + e.getMessage());
        }
        if (p != Precision.FP32 && warmup < 1) {
            throw new CommandLine.ParameterException(cl, "--precision " + p.key() + " needs --warmup >= 1: the model "
                    + "is cast at its first step");
        }
        ai.djl.Device dev;
        try {
            dev = TrainDevice.parse(device);
        } catch (TrainDevice.UnknownDeviceException e) {
            throw new CommandLine.ParameterException(cl, "--device: " + e.getMessage());
        }
        TrainStepBench.Options o = new TrainStepBench.Options(arch, layers, dModel, heads, vocab, seq, batch, warmup, steps);
        // The thread count is process-wide in libtorch: set it for the run, then give the caller its own back.
        int previousThreads = TrainStepBench.threads();
        if (threads != null) {
            TrainStepBench.setThreads(threads);
        }
        int n = TrainStepBench.threads();
        PrintWriter out = cl.getOut();
        PrintWriter err = cl.getErr();
        TrainStepBench.Result zs;
        try {
            zs = TrainStepBenchmark.run(o, dev, p);
        } finally {
            TrainStepBench.setThreads(previousThreads);
        }

        TorchTrainStepBaseline.Outcome torch;
        if (noBaseline) {
            torch = TorchTrainStepBaseline.Outcome.absent("skipped (--no-baseline)");
        } else if (dev.isGpu()) {
            torch = TorchTrainStepBaseline.Outcome.absent("skipped: the PyTorch eager baseline runs on the CPU only, "
                    + "and zerospark ran on --device " + device);
        } else if (p != Precision.FP32 && p != Precision.BF16) {
            torch = TorchTrainStepBaseline.Outcome.absent("skipped: the PyTorch baseline runs fp32 and bf16 only, "
                    + "zerospark ran " + p.key());
        } else {
            Path script = TorchTrainStepBaseline.locateScript(torchScript);
            if (script == null) {
                torch = TorchTrainStepBaseline.Outcome.failure("cannot find " + TorchTrainStepBaseline.SCRIPT
                        + " (looked under -Dzerospark.root and the working directory); pass --torch-script FILE");
            } else {
                String config = TrainStepBench.config(o).raw().toString();
                torch = new TorchTrainStepBaseline(python, script, baselineTimeout).run(o, config, n, p.key());
            }
        }
        if (torch.result() == null) {
            err.println("zerospark bench train-step: PyTorch baseline absent: " + torch.absentReason());
            err.flush();
        }
        ObjectNode json = toJson(o, zs, torch, p);
        printTable(out, o, zs, torch.result(), json);
        out.println(json);
        out.flush();
        return torch.failed() ? CommandLine.ExitCode.SOFTWARE : CommandLine.ExitCode.OK;
    }

    /** The JSON line; "precision" at the top is zerospark's, and each side's object names the precision it ran. */
    static ObjectNode toJson(TrainStepBench.Options o, TrainStepBench.Result zs, TorchTrainStepBaseline.Outcome torch,
                             Precision precision) {
        ObjectMapper m = new ObjectMapper();
        JsonNode pt = torch.result();
        double peak = pt == null ? zs.matmulGflops() : Math.max(zs.matmulGflops(), pt.path("matmul_gflops").asDouble());
        double flops = zs.flopsPerStep();
        ObjectNode j = m.createObjectNode();
        j.put("bench", "train-step").put("arch", o.arch()).put("layers", o.layers()).put("d_model", o.dModel())
                .put("heads", o.heads()).put("vocab", o.vocab()).put("seq", o.seq()).put("batch", o.batch())
                .put("warmup", o.warmup()).put("steps", o.steps()).put("threads", zs.threads())
                .put("params", zs.params()).put("tokens_per_step", (long) o.batch() * o.seq())
                .put("flops_per_step", flops).put("peak_matmul_gflops", peak);
        j.put("precision", precision.key());
        ObjectNode z = j.putObject("zerospark");
        z.put("precision", precision.key()).put("engine", "libtorch " + ai.djl.engine.Engine.getEngine("PyTorch").getVersion() + " via DJL")
                .put("libtorch", ai.djl.pytorch.jni.LibUtils.getLibtorchPath())
                .put("ms_per_step", zs.stepMs()).put("cpu_ms_per_step", zs.stepCpuMs())
                .put("fwd_bwd_ms", zs.forwardBackwardMs())
                .put("optimizer_ms", zs.optimizerMs()).put("forward_only_ms", zs.forwardMs())
                .put("tokens_per_s", zs.tokensPerSecond()).put("matmul_gflops", zs.matmulGflops())
                .put("mfu", ModelFlops.mfu(flops, zs.stepMs() / 1e3, peak * 1e9))
                .put("mfu_own_matmul", ModelFlops.mfu(flops, zs.stepMs() / 1e3, zs.matmulGflops() * 1e9)).put("glibc_tunables", System.getenv("GLIBC_TUNABLES"))
                .put("omp_wait_policy", System.getenv("OMP_WAIT_POLICY"));
        TrainStepBench.WeightCheck w = zs.weights();
        z.putObject("weights_on_device").put("device", w.device()).put("tensor", w.tensor())
                .put("max_change", w.maxChange()).put("changed", w.changed());
        if (pt == null) {
            j.putNull("pytorch");
            j.put("pytorch_absent", torch.absentReason());
            j.putNull("ratio");
            return j;
        }
        ObjectNode p = j.putObject("pytorch");
        double ptStep = pt.path("step_ms").asDouble();
        // an older script without --precision ran fp32
        p.put("precision", pt.path("precision").asText("fp32")).put("weights_dtype", pt.path("weights_dtype").asText(null))
                .put("logits_dtype", pt.path("logits_dtype").asText(null))
                .put("engine", "torch " + pt.path("torch_version").asText() + " eager (" + pt.path("python").asText() + ")")
                .put("ms_per_step", ptStep).put("cpu_ms_per_step", pt.path("step_cpu_ms").asDouble())
                .put("fwd_bwd_ms", pt.path("fwd_bwd_ms").asDouble())
                .put("optimizer_ms", pt.path("optimizer_ms").asDouble())
                .put("tokens_per_s", pt.path("tokens_per_s").asDouble())
                .put("matmul_gflops", pt.path("matmul_gflops").asDouble()).put("mfu", ModelFlops.mfu(flops, ptStep / 1e3, peak * 1e9))
                .put("mfu_own_matmul", ModelFlops.mfu(flops, ptStep / 1e3, pt.path("matmul_gflops").asDouble() * 1e9))
                .put("threads", pt.path("threads").asInt()).put("params", pt.path("params").asLong());
        p.set("blas", pt.path("blas"));
        p.set("glibc_tunables", pt.path("glibc_tunables"));
        p.set("adamw_foreach", pt.path("adamw_foreach"));
        p.set("omp_wait_policy", pt.path("omp_wait_policy"));
        j.put("ratio", zs.tokensPerSecond() / pt.path("tokens_per_s").asDouble());
        // CPU-time ratio: only meaningful with one thread, where each side's work all runs on its calling thread.
        if (zs.threads() == 1 && pt.path("step_cpu_ms").asDouble() > 0) {
            j.put("cpu_ratio", pt.path("step_cpu_ms").asDouble() / zs.stepCpuMs());
        } else {
            j.putNull("cpu_ratio");
        }
        return j;
    }

    private static void printTable(PrintWriter out, TrainStepBench.Options o, TrainStepBench.Result zs, JsonNode pt,
                                   ObjectNode j) {
        out.printf(Locale.ROOT, "bench train-step: %s, %d layers, d=%d, %d heads, vocab %d, seq %d, batch %d "
                        + "(%d tokens/step), %.2fM params, %.1f GFLOP/step, %d threads, %d warmup + %d timed steps%n",
                o.arch(), o.layers(), o.dModel(), o.heads(), o.vocab(), o.seq(), o.batch(), o.batch() * o.seq(),
                zs.params() / 1e6, zs.flopsPerStep() / 1e9, zs.threads(), o.warmup(), o.steps());
        JsonNode z = j.get("zerospark");
        JsonNode p = j.get("pytorch");
        String row = "%-30s %14s %16s%n";
        out.printf(Locale.ROOT, row, "", "zerospark", "pytorch eager");
        out.printf(Locale.ROOT, row, "precision", z.get("precision").asText(),
                p == null || p.isNull() ? "absent" : p.get("precision").asText());
        out.printf(Locale.ROOT, row, "tokens/s", f1(z, "tokens_per_s"), f1(p, "tokens_per_s"));
        out.printf(Locale.ROOT, row, "ms/step", f1(z, "ms_per_step"), f1(p, "ms_per_step"));
        out.printf(Locale.ROOT, row, "  forward+backward ms", f1(z, "fwd_bwd_ms"), f1(p, "fwd_bwd_ms"));
        out.printf(Locale.ROOT, row, "  AdamW ms", f1(z, "optimizer_ms"), f1(p, "optimizer_ms"));
        out.printf(Locale.ROOT, row, "CPU ms/step (calling thread)", f1(z, "cpu_ms_per_step"), f1(p, "cpu_ms_per_step"));
        out.printf(Locale.ROOT, row, "fp32 matmul GFLOP/s (1024^3)", f1(z, "matmul_gflops"), f1(p, "matmul_gflops"));
        out.printf(Locale.ROOT, row, "MFU (vs peak matmul)", pct(z, "mfu"), pct(p, "mfu"));
        out.printf(Locale.ROOT, row, "MFU (vs its own matmul rate)", pct(z, "mfu_own_matmul"), pct(p, "mfu_own_matmul"));
        out.printf(Locale.ROOT, "peak fp32 matmul rate this run: %.1f GFLOP/s%n", j.get("peak_matmul_gflops").asDouble());
        if (!j.get("precision").asText().equals("fp32")) {
            out.println("MFU at " + j.get("precision").asText() + " is against the fp32 matmul probe: a CPU with bf16 "
                    + "units (AVX512-BF16, AMX) runs bf16 matmuls faster than that, so MFU can exceed 100%");
        }
        if (p == null || p.isNull()) {
            out.println("ratio zerospark/pytorch: n/a (PyTorch baseline absent: " + j.get("pytorch_absent").asText() + ")");
        } else {
            out.printf(Locale.ROOT, "ratio zerospark/pytorch (tokens/s): %.2fx%n", j.get("ratio").asDouble());
            if (!j.get("cpu_ratio").isNull()) {
                out.printf(Locale.ROOT, "ratio by CPU time (1 thread; less sensitive to other load than wall time): %.2fx%n",
                        j.get("cpu_ratio").asDouble());
            }
            JsonNode blas = pt.path("blas");
            out.println("pytorch: " + p.get("engine").asText() + ", BLAS " + blas.path("alternative").asText("?")
                    + " (" + blas.path("openblas_config").asText("not OpenBLAS") + "), GLIBC_TUNABLES="
                    + pt.path("glibc_tunables").asText("unset") + ", OMP_WAIT_POLICY="
                    + pt.path("omp_wait_policy").asText("unset") + ", AdamW foreach=" + pt.path("adamw_foreach"));
            if (pt.path("params").asLong() != zs.params()) {
                out.println("WARNING: parameter counts differ (zerospark " + zs.params() + ", pytorch "
                        + pt.path("params").asLong() + "): the two models are not the same architecture");
            }
        }
        out.println("zerospark: " + z.get("engine").asText() + ", JVM GLIBC_TUNABLES="
                + (System.getenv("GLIBC_TUNABLES") == null ? "unset" : System.getenv("GLIBC_TUNABLES"))
                + ", OMP_WAIT_POLICY=" + (System.getenv("OMP_WAIT_POLICY") == null ? "unset" : System.getenv("OMP_WAIT_POLICY"))
                + ", no-grad forward alone " + f1(z, "forward_only_ms") + " ms");
        TrainStepBench.WeightCheck w = zs.weights();
        out.printf(Locale.ROOT, "weights read back from %s (%s row 0): %s, max |change| %.3g%n", w.device(), w.tensor(),
                w.changed() ? "changed by the steps" : "UNCHANGED by the steps", w.maxChange());
    }

    private static String f1(JsonNode n, String key) {
        return n == null || n.isNull() ? "absent" : String.format(Locale.ROOT, "%.1f", n.get(key).asDouble());
    }

    private static String pct(JsonNode n, String key) {
        return n == null || n.isNull() ? "absent" : String.format(Locale.ROOT, "%.1f%%", 100 * n.get(key).asDouble());
    }
}
