package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.train.TrainStepBench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code deploy/bench/train_step_torch.py} (PyTorch eager) on the same model, batch and thread count as
 * zerospark's step. Debian's {@code python3-torch} links the generic libblas.so.3; with {@code libopenblas0-openmp}
 * installed that resolves to OpenBLAS, and the script reports the library it actually mapped.
 */
final class TorchTrainStepBaseline {
    /** glibc malloc never returns big blocks to the OS, so PyTorch does not page-fault fresh activations each step. */
    static final String GLIBC_TUNABLES = "glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295";
    static final String INSTALL_HINT = "apt-get install python3-torch libopenblas0-openmp";
    static final String SCRIPT = "deploy/bench/train_step_torch.py";

    /** The script's JSON when it ran, otherwise why the baseline is absent (and whether that is an error). */
    record Outcome(JsonNode result, String absentReason, boolean failed) {
        static Outcome absent(String reason) {
            return new Outcome(null, reason, false);
        }

        static Outcome failure(String reason) {
            return new Outcome(null, reason, true);
        }
    }

    private final Path python;
    private final Path script;
    private final long timeoutSeconds;

    TorchTrainStepBaseline(Path python, Path script, long timeoutSeconds) {
        this.python = python;
        this.script = script;
        this.timeoutSeconds = timeoutSeconds;
    }

    /**
     * The reference script: see {@link ProjectFiles#locate}. Null when none exists.
     */
    static Path locateScript(Path explicit) {
        return ProjectFiles.locate(explicit, SCRIPT);
    }

    /** The step in {@code precision}: "fp32", or "bf16" mixed precision (fp32 master weights and AdamW). */
    Outcome run(TrainStepBench.Options o, String hfConfigJson, int threads, String precision) {
        return runScript(List.of("--config-json", hfConfigJson,
                "--batch", Integer.toString(o.batch()), "--seq", Integer.toString(o.seq()),
                "--steps", Integer.toString(o.steps()), "--warmup", Integer.toString(o.warmup()),
                "--precision", precision), threads);
    }

    /**
     * Runs the script with {@code args} plus {@code --threads}, in the baseline's environment (malloc tunables,
     * OpenMP threads), and reads its last JSON line. Shared by every PyTorch baseline of the bench commands.
     */
    Outcome runScript(List<String> args, int threads) {
        if (!Files.isRegularFile(script)) {
            return Outcome.failure("reference script " + script.toAbsolutePath() + " not found");
        }
        if (!Files.isExecutable(python)) {
            return Outcome.absent(python + " not found; install Debian's PyTorch: " + INSTALL_HINT);
        }
        List<String> cmd = new java.util.ArrayList<>(List.of(python.toString(), script.toString()));
        cmd.addAll(args);
        cmd.addAll(List.of("--threads", Integer.toString(threads)));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("GLIBC_TUNABLES", GLIBC_TUNABLES);
        // OpenBLAS's openmp build sizes its pool from OpenMP; keep it at the thread count torch is given.
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        pb.environment().remove("PYTHONPATH");
        // Both streams go to files, so a hung script cannot block us on a full pipe and the timeout holds.
        Path outFile;
        Path errFile;
        try {
            outFile = Files.createTempFile("zerospark-torch-bench", ".out");
            errFile = Files.createTempFile("zerospark-torch-bench", ".err");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create temp files for the PyTorch baseline's output", e);
        }
        try {
            pb.redirectOutput(outFile.toFile());
            pb.redirectError(errFile.toFile());
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                return Outcome.absent("cannot run " + python + " (" + e.getMessage() + "); install Debian's PyTorch: "
                        + INSTALL_HINT);
            }
            p.getOutputStream().close();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                return Outcome.failure("PyTorch baseline did not finish within " + timeoutSeconds + " s");
            }
            String out = Files.readString(outFile, StandardCharsets.UTF_8);
            JsonNode json = lastJsonLine(out);
            if (p.exitValue() == 3 && json != null && "torch_missing".equals(json.path("error").asText())) {
                return Outcome.absent(python + " cannot import torch (" + json.path("detail").asText()
                        + "); install Debian's PyTorch: " + INSTALL_HINT);
            }
            if (p.exitValue() != 0 || json == null) {
                return Outcome.failure("PyTorch baseline exited " + p.exitValue() + ": " + tail(Files.readString(errFile)));
            }
            return new Outcome(json, null, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the PyTorch baseline's output", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.failure("interrupted while waiting for the PyTorch baseline");
        } finally {
            for (Path f : new Path[] {outFile, errFile}) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    org.slf4j.LoggerFactory.getLogger(TorchTrainStepBaseline.class).warn("cannot delete {}", f, e);
                }
            }
        }
    }

    private static JsonNode lastJsonLine(String out) throws IOException {
        List<String> lines = out.lines().filter(l -> l.startsWith("{")).toList();
        return lines.isEmpty() ? null : new ObjectMapper().readTree(lines.get(lines.size() - 1));
    }

    private static String tail(String s) {
        String t = s.strip();
        return t.length() > 2000 ? "..." + t.substring(t.length() - 2000) : t;
    }
}
