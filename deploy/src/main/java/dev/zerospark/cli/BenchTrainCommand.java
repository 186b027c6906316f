package dev.zerospark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.training.TrainBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

@Command(name = "train", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Training throughput for 1 and 2 ranks at the same total threads, a step-time breakdown, "
                + "and checkpoint save/load next to raw I/O on the same store.")
public final class BenchTrainCommand implements Runnable {
    @Option(names = "--arch", defaultValue = "gpt2", description = "gpt2 | llama (default ${DEFAULT-VALUE}).") String arch;
    @Option(names = "--preset", defaultValue = "tiny", description = "tiny | small (default ${DEFAULT-VALUE}).") String preset;
    @Option(names = "--seq-len", defaultValue = "128", description = "Tokens per sequence (default ${DEFAULT-VALUE}).") int seqLen;
    @Option(names = "--global-batch", defaultValue = "8", description = "Sequences per step over all ranks (default ${DEFAULT-VALUE}).") int globalBatch;
    @Option(names = "--steps", defaultValue = "10", description = "Measured steps per world size (default ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--threads", defaultValue = "2", description = "Intra-op threads in total (default ${DEFAULT-VALUE}).") int threads;
    @Option(names = "--store", description = "Checkpoint store URI (default: a temp dir on local disk, deleted after the run).") String store;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        Path temp = null;
        try {
            if (store == null) temp = Files.createTempDirectory("zs-bench-train");
            String where = store != null ? store : temp.toUri().toString();
            TrainBench.Result r = TrainBench.run(new TrainBench.Options(arch, preset, seqLen, globalBatch, steps, threads, where));
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "bench train: %s-%s (%d params), seq %d, global batch %d, %d threads in total, store %s%n",
                    arch, preset, r.parameters(), seqLen, globalBatch, threads, where);
            out.printf(Locale.ROOT, "%6s %12s %10s %11s %9s %13s %9s%n", "ranks", "tokens/s", "step ms", "compute ms", "comm ms", "optimizer ms", "data ms");
            for (TrainBench.Row row : r.rows()) {
                out.printf(Locale.ROOT, "%6d %12.0f %10.1f %11.1f %9.1f %13.1f %9.2f%n", row.worldSize(), row.tokensPerS(),
                        row.stepMs(), row.computeMs(), row.commMs(), row.optimizerMs(), row.dataMs());
            }
            TrainBench.Checkpoint c = r.checkpoint();
            out.printf(Locale.ROOT, "checkpoint (%d bytes): save %.1f MB/s vs raw write %.1f MB/s (%.2fx); load %.1f MB/s vs raw read %.1f MB/s (%.2fx)%n",
                    c.bytes(), c.saveMBps(), c.rawWriteMBps(), c.saveMBps() / c.rawWriteMBps(), c.loadMBps(), c.rawReadMBps(),
                    c.loadMBps() / c.rawReadMBps());
            out.println(new ObjectMapper().writeValueAsString(r));
            out.flush();
        } catch (Exception e) {
            throw new IllegalStateException("bench train failed: " + e.getMessage(), e);
        } finally {
            // The default store is the bench's own scratch (two runs' checkpoints, 8.6 MB with the tiny preset):
            // left behind, every run added one to /tmp.
            if (temp != null) deleteScratch(temp);
        }
    }

    private void deleteScratch(Path temp) {
        try {
            TempDirs.deleteRecursively(temp);
        } catch (java.io.IOException e) {
            spec.commandLine().getErr().println("bench train: could not delete its scratch store " + temp + ": " + e);
        }
    }
}
