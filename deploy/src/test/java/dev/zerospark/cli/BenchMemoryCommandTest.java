package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code zerospark bench memory} on a small Llama, fp32, N = 2, ZeRO-2, 2 steps: each rank is a process of its own,
 * and what the ranks report holds the invariants of ZeRO-2 and of resident memory.
 */
class BenchMemoryCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void twoRankProcessesReportTheirMemoryNextToTheZeroFormula() throws Exception {
        // Logits of (1, 128, 8192) fp32 are 4 MiB: above the ranks' malloc mmap threshold (128 KiB), so the last
        // step's activations show as RSS growth (about 8.5 MB here). At vocab 2048 they were about 2.5 MB, and once in
        // CI memory the step freed before allocating its own hid them (rank 1 reported 0).
        CliRun r = CliRun.of("bench", "memory", "--arch", "llama", "--hidden", "64", "--layers", "2", "--heads", "4",
                "--kv-heads", "2", "--intermediate", "128", "--vocab", "8192", "--world-size", "2", "--zero-stage", "2",
                "--precision", "fp32", "--seq-len", "128", "--steps", "2", "--rank-heap", "256m");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("each rank is its own JVM process") && r.out().contains("peak_rss")
                && r.out().contains("4Ψ + 4Ψ/N + 12Ψ/N"), r.toString());
        // The ratio is against the paper's stage-2 formula; the example (full-size gradients) is labelled apart.
        assertTrue(r.out().contains("not the ratio above: with full-size gradients (the issue's example 4Ψ + 4Ψ + 12Ψ/N"),
                r.toString());
        List<String> lines = r.out().lines().filter(l -> l.startsWith("{")).toList();
        assertEquals(1, lines.size(), r.toString());
        JsonNode j = JSON.readTree(lines.get(0));
        assertEquals("processes", j.get("ranks_as").asText());
        long psi = j.get("psi").asLong();
        int n = 2;
        JsonNode f = j.get("formula");
        assertEquals(12.0 * psi / n, f.get("master").asDouble() + f.get("moments").asDouble(), 1e-6);
        assertEquals(4.0 * psi + 4.0 * psi / n + 12.0 * psi / n, f.get("total").asDouble(), 1e-6);
        Set<Long> pids = new HashSet<>();
        for (JsonNode rank : j.get("ranks")) {
            pids.add(rank.get("pid").asLong());
            JsonNode held = rank.get("held");
            // ZeRO-2: this rank's fp32 master + AdamW m and v are its 1/N shard: 12 Psi / N bytes, up to the shard
            // alignment of 2N elements per rank.
            long optimizer = held.get("master").asLong() + held.get("moments").asLong();
            double formula = 12.0 * psi / n;
            assertTrue(optimizer >= formula && optimizer < formula + 12 * 2 * n, optimizer + " vs " + formula);
            // The model's own weights are fp32, Psi of them.
            assertEquals(4L * psi, held.get("weights_model").asLong(), rank.toString());
            assertEquals("fp32", held.get("model_dtype").asText(), rank.toString());
            long peak = rank.get("peak_rss_steps").asLong();
            assertTrue(peak > held.get("weights_model").asLong() + rank.get("baseline_rss").asLong(), rank.toString());
            assertTrue(rank.get("peak_rss_with_checkpoint").asLong() >= peak, rank.toString());
            // The steps' peak is told apart into forward+backward's and the reduction and optimizer step's.
            for (String part : new String[] {"peak_rss_forward_backward", "peak_rss_optimizer"}) {
                long p = rank.get(part).asLong();
                assertTrue(p > rank.get("baseline_rss").asLong() && p <= peak, part + ": " + rank);
            }
            assertTrue(rank.get("activations").asLong() > 0, rank.toString());
            assertTrue(rank.get("heap_peak_used").asLong() > 0, rank.toString());
            assertEquals(256L << 20, rank.get("heap_max").asLong(), 32L << 20, "the rank JVM got --rank-heap");
            assertTrue(rank.get("rank_tokens_per_s").asDouble() > 0, rank.toString());
            double ratio = rank.get("ratio_rss_to_formula_plus_activations").asDouble();
            assertEquals(peak / (f.get("total").asDouble() + rank.get("activations").asDouble()), ratio, 1e-9);
        }
        assertEquals(2, pids.size(), "two rank processes");
        assertTrue(!pids.contains(ProcessHandle.current().pid()), "ranks are not this JVM");
    }

    @Test
    void ranksAsSparkTrainTheSameModelAsBarrierTasksOfOneJvm() throws Exception {
        java.nio.file.Path work = java.nio.file.Files.createTempDirectory("zs-bench-memory-spark");
        try {
            ranksAsSpark(work);
        } finally {
            org.apache.hadoop.fs.FileUtil.fullyDelete(work.toFile());
        }
    }

    private static void ranksAsSpark(java.nio.file.Path work) throws Exception {
        CliRun r = CliRun.of("bench", "memory", "--arch", "llama", "--hidden", "64", "--layers", "2", "--heads", "4",
                "--kv-heads", "2", "--intermediate", "128", "--vocab", "2048", "--world-size", "2", "--zero-stage", "2",
                "--precision", "fp32", "--seq-len", "128", "--steps", "2", "--rank-heap", "256m", "--ranks-as", "spark", "--spark-heap", "768m",
                "--work-dir", work.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("each rank is its own JVM process") && r.out().contains("ranks as spark")
                && r.out().contains("in ONE JVM"), r.toString());
        List<String> lines = r.out().lines().filter(l -> l.startsWith("{")).toList();
        assertEquals(1, lines.size(), r.toString());
        JsonNode j = JSON.readTree(lines.get(0));
        assertEquals("spark", j.get("ranks_as").asText());
        JsonNode s = j.get("spark");
        Set<Long> rankPids = new HashSet<>();
        double activations = 0;
        for (JsonNode rank : j.get("ranks")) {
            rankPids.add(rank.get("pid").asLong());
            activations += rank.get("activations").asDouble();
        }
        long sparkPid = s.get("pid").asLong();
        assertTrue(!rankPids.contains(sparkPid) && sparkPid != ProcessHandle.current().pid(), "the Spark JVM is a process of its own");
        assertEquals("local[2]", s.get("master").asText());
        assertEquals(2, s.get("ranks_in_this_jvm").asInt());
        assertEquals(0, s.get("restarts").asInt());
        // TrainJob ran: its report is written only by the driver after the barrier stage, never by RankTrainer alone.
        assertTrue(java.nio.file.Files.exists(work.resolve("spark/run/loss.html")), "TrainJob's loss report");
        assertEquals(2, s.get("steps").size(), s.toString());
        for (JsonNode step : s.get("steps")) {
            assertTrue(step.get("step_s").asDouble() > 0 && step.get("tokens_per_s").asDouble() > 0, step.toString());
            // A random-init model over 2048 ids starts near ln(2048) = 7.6.
            assertEquals(Math.log(2048), step.get("loss").asDouble(), 1.0, step.toString());
        }
        // Both ranks' model weights are alive at once in this one process during the job.
        long weights = j.get("ranks").get(0).get("held").get("weights_model").asLong();
        assertTrue(s.get("peak_rss_job").asLong() > s.get("baseline_rss").asLong() + 2 * weights, s.toString());
        assertTrue(s.get("heap_peak_used").asLong() > 0, s.toString());
        assertEquals(768L << 20, s.get("heap_max").asLong(), 64L << 20, "the Spark JVM got --spark-heap");
        double total = j.get("formula").get("total").asDouble();
        assertEquals(2 * total, s.get("formula_all_ranks").asDouble(), 1e-6);
        assertEquals(activations, s.get("activations_from_processes_run").asDouble(), 1e-6);
        assertEquals(s.get("peak_rss_job").asDouble() / (2 * total + activations),
                s.get("ratio_peak_rss_to_formula_plus_activations").asDouble(), 1e-9);
    }

    @Test
    void badValuesNameTheirFlag() throws Exception {
        CliRun r = CliRun.of("bench", "memory", "--hidden", "64", "--layers", "1", "--heads", "4", "--precision", "fp8");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--precision must be fp32, bf16 or fp16, got 'fp8'"), r.toString());
        CliRun heap = CliRun.of("bench", "memory", "--hidden", "64", "--layers", "1", "--heads", "4", "--rank-heap", "lots");
        assertEquals(2, heap.code(), heap.toString());
        assertTrue(heap.err().contains("--rank-heap must be a JVM heap size like 512m or 4g, got 'lots'"), heap.toString());
        CliRun sparkHeap = CliRun.of("bench", "memory", "--hidden", "64", "--layers", "1", "--heads", "4", "--spark-heap", "1 g");
        assertEquals(2, sparkHeap.code(), sparkHeap.toString());
        assertTrue(sparkHeap.err().contains("--spark-heap must be a JVM heap size like 512m or 4g, got '1 g'"), sparkHeap.toString());
        CliRun how = CliRun.of("bench", "memory", "--hidden", "64", "--layers", "1", "--heads", "4", "--ranks-as", "threads");
        assertEquals(2, how.code(), how.toString());
        assertTrue(how.err().contains("--ranks-as must be processes or spark, got 'threads'"), how.toString());
        CliRun vocab = CliRun.of("bench", "memory", "--hidden", "64", "--layers", "1", "--heads", "4", "--vocab", "512",
                "--ranks-as", "spark");
        assertEquals(2, vocab.code(), vocab.toString());
        assertTrue(vocab.err().contains("--vocab 512: --ranks-as spark trains on a table of ids below 1024"), vocab.toString());
    }
}
