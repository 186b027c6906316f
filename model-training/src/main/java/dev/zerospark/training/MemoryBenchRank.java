package dev.zerospark.training;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.collective.FileRendezvous;
import dev.zerospark.collective.Rendezvous;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.model.Precision;
import dev.zerospark.train.DjlTrainableModel;
import dev.zerospark.train.TrainableModel;
import dev.zerospark.training.data.TrainingTable;
import dev.zerospark.zero.ZeroMemory;
import dev.zerospark.zero.ZeroOptimizer;
import org.apache.hadoop.conf.Configuration;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Random;

/**
 * One rank of {@link MemoryBench}, a JVM of its own: {@code MemoryBenchRank DIR RANK}, the options in
 * {@code DIR/options.json}. It trains through {@link RankTrainer} (the path the Spark job runs) on synthetic token
 * ids, meets the other rank processes through a {@link FileRendezvous} in DIR and the real TCP ring, samples its own
 * memory at every {@link RankTrainer.StepPhase}, and writes {@code DIR/result-RANK.json}.
 */
public final class MemoryBenchRank {
    private static final ObjectMapper JSON = new ObjectMapper();

    private MemoryBenchRank() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: MemoryBenchRank DIR RANK; got " + args.length + " arguments");
        }
        Path dir = Path.of(args[0]);
        int rank = Integer.parseInt(args[1]);
        MemoryBench.Options o = JSON.readValue(dir.resolve(MemoryBench.OPTIONS).toFile(), MemoryBench.Options.class);
        ai.djl.engine.Engine.getEngine("PyTorch"); // libtorch is part of every rank's baseline, not of the model
        long baseline = ProcMemory.read().rss();
        TrainConfig cfg = ConfigLoader.load(null, MemoryBench.trainKeys(o, dir)).train();
        RunSpec spec = RunSpec.from(cfg, "{}", o.runId(), -1);
        ModelSource source = ModelSource.random(MemoryBench.modelConfig(o), 1, o.activationCheckpointing(), o.precision());
        Probe host = new Probe(rank, new FileRendezvous(dir.resolve("rendezvous"), rank, o.worldSize(),
                java.time.Duration.ofSeconds(o.timeoutS())), o.steps(),
                (long) o.microBatch() * o.seqLen());
        RankResult trained = new RankTrainer(spec, table(o), source, new Configuration()).run(host);
        long hwmAll = Math.max(host.peakSteps, ProcMemory.read().hwm());
        ObjectNode r = JSON.createObjectNode();
        r.put("rank", rank).put("pid", ProcessHandle.current().pid()).put("baseline_rss", baseline)
                .put("peak_rss_steps", host.peakSteps).put("peak_rss_with_checkpoint", hwmAll)
                .put("peak_rss_forward_backward", host.peakCompute).put("peak_rss_optimizer", host.peakOptimizer)
                .put("rss_before_last_compute", host.rssAtStart).put("activations", host.lastActivations)
                .put("heap_peak_used", heapPeakUsed()).put("heap_committed_max", host.heapCommitted)
                .put("heap_max", Runtime.getRuntime().maxMemory())
                .put("rank_tokens_per_s", host.tokensPerS);
        r.putPOJO("activations_per_step", host.activations);
        r.set("held", host.held);
        if (rank == 0 && !trained.metrics().isEmpty()) {
            r.put("global_tokens_per_s", trained.metrics().get(trained.metrics().size() - 1).tokensPerS());
        }
        Path tmp = dir.resolve(".result-" + rank + ".tmp");
        Files.writeString(tmp, JSON.writeValueAsString(r), StandardCharsets.UTF_8);
        Files.move(tmp, MemoryBench.resultFile(dir, rank), StandardCopyOption.ATOMIC_MOVE);
    }

    /** Random token ids, seq_len + 1 per row, enough rows for every rank's steps. */
    private static TrainingTable table(MemoryBench.Options o) {
        Random rnd = new Random(1);
        int[][] rows = new int[o.worldSize() * o.microBatch() * (o.steps() + 1)][o.seqLen() + 1];
        for (int[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                row[i] = rnd.nextInt(o.vocab());
            }
        }
        return new TrainingTable("synthetic", 0, rows, null, new int[0][], null);
    }

    /** Sum of every heap pool's peak use: an upper bound of the heap's peak (pools peak at different times). */
    static long heapPeakUsed() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) {
                sum += p.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    /**
     * Bytes by kind of what the model and the optimizer hold at the end of a step: the model's own tensors and their
     * autograd gradients (dtype sizes as allocated), and the optimizer's buffers as {@link ZeroOptimizer#memory}
     * reports them.
     */
    static ObjectNode held(TrainableModel model, ZeroOptimizer zero) {
        long weights = 0;
        long grads = 0;
        String dtype = "unknown";
        if (model instanceof DjlTrainableModel d) {
            for (NDArray a : d.model().parameters().arrays().values()) {
                // Precision, not DJL's dtype: DJL names bf16 UNKNOWN, of size 0
                weights += a.size() * Precision.of(a).bytes();
                dtype = Precision.of(a).key();
                if (a.hasGradient()) {
                    try (NDArray g = a.getGradient()) {
                        grads += g.size() * Precision.of(g).bytes();
                    }
                }
            }
        }
        ZeroMemory z = zero.memory();
        ObjectNode h = JSON.createObjectNode();
        h.put("model_dtype", dtype).put("weights_model", weights).put("weights_optimizer", z.params())
                .put("gradients_model", grads).put("gradients_optimizer", z.gradients() + z.microBatchGradients())
                .put("master", z.master()).put("moments", z.optimizerState());
        h.put("weights", weights + z.params()).put("gradients", grads + z.gradients() + z.microBatchGradients());
        return h;
    }

    /**
     * This process's resident memory from {@code /proc/self/status}: VmRSS now and VmHWM, its peak since start or
     * since the last {@link #resetPeak}.
     */
    record ProcMemory(long rss, long hwm) {
        static ProcMemory read() throws IOException {
            long rss = -1;
            long hwm = -1;
            for (String l : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (l.startsWith("VmRSS:")) rss = kib(l);
                if (l.startsWith("VmHWM:")) hwm = kib(l);
            }
            if (rss < 0 || hwm < 0) {
                throw new IllegalStateException("/proc/self/status has no VmRSS/VmHWM: bench memory needs Linux");
            }
            return new ProcMemory(rss, hwm);
        }

        /** Sets VmHWM to the current RSS (Linux's clear_refs "5"), so the next read is the peak from here. */
        static void resetPeak() throws IOException {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5", StandardCharsets.US_ASCII);
        }

        private static long kib(String line) {
            return 1024 * Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
    }

    /**
     * The rank's host: a file rendezvous and barrier, loopback for the ring, and the memory samples. Activations
     * of a step = peak RSS during its forward and backward (VmHWM reset at compute start) minus RSS at compute start.
     * VmHWM is reset again at compute end, so the peaks of forward+backward and of the reduction and optimizer step
     * are told apart; the peak over the steps is the larger of the two.
     */
    static final class Probe extends ThreadHost {
        private final int steps;
        private final long rankTokensPerStep;
        final long[] activations;
        long peakSteps;
        long peakCompute;
        long peakOptimizer;
        long rssAtStart;
        long lastActivations;
        long heapCommitted;
        double tokensPerS;
        ObjectNode held;
        private long startNanos;

        Probe(int rank, Rendezvous rendezvous, int steps, long rankTokensPerStep) {
            super(rank, rendezvous);
            this.steps = steps;
            this.rankTokensPerStep = rankTokensPerStep;
            this.activations = new long[steps];
        }

        @Override
        public void stepPhase(long step, RankTrainer.StepPhase phase, TrainableModel model, ZeroOptimizer zero) {
            try {
                ProcMemory now = ProcMemory.read();
                peakSteps = Math.max(peakSteps, now.hwm());
                heapCommitted = Math.max(heapCommitted, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted());
                switch (phase) {
                    case COMPUTE_START -> {
                        ProcMemory.resetPeak();
                        rssAtStart = ProcMemory.read().rss();
                        startNanos = System.nanoTime();
                    }
                    case COMPUTE_END -> {
                        activations[(int) step] = Math.max(0, now.hwm() - rssAtStart);
                        lastActivations = activations[(int) step];
                        peakCompute = Math.max(peakCompute, now.hwm());
                        ProcMemory.resetPeak();
                    }
                    case STEP_END -> {
                        peakOptimizer = Math.max(peakOptimizer, now.hwm());
                        tokensPerS = rankTokensPerStep / ((System.nanoTime() - startNanos) / 1e9);
                        if (step == steps - 1) {
                            held = held(model, zero);
                        }
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("rank " + rank() + " cannot read its memory from /proc", e);
            }
        }
    }
}
