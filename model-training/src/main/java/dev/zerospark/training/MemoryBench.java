package dev.zerospark.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.collective.RankProcesses;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.model.HfConfigs;
import dev.zerospark.model.ModelLoader;
import dev.zerospark.train.TrainableModels;
import dev.zerospark.zero.PartitionLayout;
import dev.zerospark.zero.TrainingVerifier;
import dev.zerospark.zero.ZeroMemoryBench;
import dev.zerospark.zero.ZeroStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bench memory}: trains a randomly initialised model of a given shape for a few steps through the production
 * path ({@link RankTrainer}, ZeRO, the TCP ring), each rank a JVM of its own ({@link MemoryBenchRank}) so that its
 * peak RSS is its own, and reports per rank the peak RSS, heap, the bytes that the model and the optimizer hold by
 * kind, the measured activations, and the ZeRO paper's formula ({@link ZeroMemoryBench#formula}). With ranks as
 * spark it then trains the same model through {@link TrainJob} on Spark local[N] in one JVM ({@link MemoryBenchSpark}):
 * the production path, whose per-rank memory cannot be told apart, as every rank shares the process.
 */
public final class MemoryBench {
    private static final Logger LOG = LoggerFactory.getLogger(MemoryBench.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String OPTIONS = "options.json";
    /**
     * glibc setting of every rank: tensors of 128 KiB and more get their own mappings, which go back to the OS when
     * freed, so RSS follows the live tensors (the launcher's default keeps freed memory, which would hide activations).
     */
    public static final String MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=131072";

    /**
     * @param arch llama or gpt2
     * @param rankHeap the rank processes' -Xmx (e.g. 2g), or null for the JVM's default
     * @param ranksAs processes (each rank a JVM of its own) or spark (also, after the processes run, the real
     *     {@link TrainJob} in one JVM on Spark local[N], each rank a barrier task: {@link MemoryBenchSpark})
     * @param sparkHeap the -Xmx of that Spark JVM (e.g. 1g), or null for the JVM's default
     */
    public record Options(String arch, int hidden, int layers, int heads, int kvHeads, int intermediate, int vocab,
                          int worldSize, int zeroStage, String precision, boolean activationCheckpointing, int seqLen,
                          int steps, int microBatch, int threads, String rankHeap, long timeoutS, String runId,
                          String ranksAs, String sparkHeap) {
        public static final String PROCESSES = "processes";
        public static final String SPARK = "spark";

        public Options {
            if (!PROCESSES.equals(ranksAs) && !SPARK.equals(ranksAs)) {
                throw new IllegalArgumentException("ranks_as must be processes or spark, got '" + ranksAs + "'");
            }
        }
    }

    /**
     * One rank's measurements ({@code ranks}) next to the formula for every rank ({@code formula}); with ranks as
     * spark, {@code spark} is the Spark JVM's measurements ({@link MemoryBenchSpark}), else null.
     */
    public record Result(Options options, long psi, ZeroMemoryBench.Formula formula, List<JsonNode> ranks, JsonNode spark) {
        /** Peak RSS during the steps over (formula + measured activations), per rank. */
        public double ratio(JsonNode rank) {
            return rank.get("peak_rss_steps").asDouble() / (formula.total() + rank.get("activations").asDouble());
        }
    }

    private MemoryBench() {}

    /** The model's HF config: Llama (untied head, GQA) or GPT-2 (tied head) of the given shape. */
    static ObjectNode modelConfig(Options o) {
        ObjectNode c = JSON.createObjectNode();
        if (o.arch().equals("llama")) {
            c.put("model_type", "llama").put("hidden_size", o.hidden()).put("num_hidden_layers", o.layers())
                    .put("num_attention_heads", o.heads()).put("num_key_value_heads", o.kvHeads())
                    .put("intermediate_size", o.intermediate()).put("vocab_size", o.vocab())
                    .put("max_position_embeddings", Math.max(1024, o.seqLen())).put("rms_norm_eps", 1e-5)
                    .put("rope_theta", 10000.0).put("tie_word_embeddings", false).put("hidden_act", "silu");
            c.putArray("architectures").add("LlamaForCausalLM");
        } else if (o.arch().equals("gpt2")) {
            c.put("model_type", "gpt2").put("n_embd", o.hidden()).put("n_layer", o.layers()).put("n_head", o.heads())
                    .put("n_inner", o.intermediate()).put("vocab_size", o.vocab()).put("n_positions", o.seqLen())
                    .put("layer_norm_epsilon", 1e-5).put("activation_function", "gelu_new")
                    .put("tie_word_embeddings", true);
            c.putArray("architectures").add("GPT2LMHeadModel");
        } else {
            throw new IllegalArgumentException("arch must be llama or gpt2, got '" + o.arch() + "'");
        }
        return c;
    }

    /** The train.* keys of the run every rank makes: the bench's shape, no evaluation, one checkpoint at the end. */
    static Map<String, Object> trainKeys(Options o, Path dir) {
        Map<String, Object> keys = new HashMap<>();
        keys.put("train.world_size", o.worldSize());
        keys.put("train.zero.stage", o.zeroStage());
        keys.put("train.precision", o.precision());
        keys.put("train.activation_checkpointing", o.activationCheckpointing());
        keys.put("train.steps", o.steps());
        keys.put("train.micro_batch_size", o.microBatch());
        keys.put("train.seq_len", o.seqLen());
        keys.put("train.threads", o.threads());
        keys.put("train.eval_interval", 0);
        keys.put("train.checkpoint_interval", o.steps());
        keys.put("train.checkpoint_dir", dir.resolve("checkpoints").toUri().toString());
        keys.put("train.run_dir", dir.resolve("run").toUri().toString());
        keys.put("train.collective_timeout_s", o.timeoutS());
        return keys;
    }

    /** Psi and the per-rank formula for {@code o}, from the model's layout with DeepSpeed's 2N alignment. */
    static ZeroMemoryBench.Formula formula(Options o) {
        var params = TrainingVerifier.flatParams(TrainableModels.layout(ModelLoader.specs(HfConfigs.parse(modelConfig(o)))));
        PartitionLayout layout = PartitionLayout.of(params, o.worldSize(), 2 * o.worldSize());
        return ZeroMemoryBench.formula(layout, ZeroStage.of(o.zeroStage()), o.precision());
    }

    /** Runs the ranks as child JVMs in {@code dir} (an empty directory) and collects their results. */
    public static Result run(Options o, Path dir) throws IOException, InterruptedException {
        // Bad settings (e.g. a precision this build cannot train in) fail here, once, not in every rank.
        ConfigLoader.load(null, trainKeys(o, dir));
        ZeroMemoryBench.Formula formula = formula(o);
        Files.writeString(dir.resolve(OPTIONS), JSON.writeValueAsString(o), StandardCharsets.UTF_8);
        List<Process> ranks = new ArrayList<>();
        try {
            for (int r = 0; r < o.worldSize(); r++) {
                ranks.add(launch(o.rankHeap(), MemoryBenchRank.class, List.of(dir.toString(), Integer.toString(r)),
                        RankProcesses.logOf(dir, r)));
                LOG.info("bench memory: rank {} is process {}", r, ranks.get(r).pid());
            }
            RankProcesses.await(ranks, dir, o.timeoutS() * 4 + 60L * o.steps(), "bench memory");
        } finally {
            for (Process p : ranks) {
                if (p.isAlive()) {
                    p.destroyForcibly();
                }
            }
        }
        List<JsonNode> results = new ArrayList<>();
        for (int r = 0; r < o.worldSize(); r++) {
            results.add(JSON.readTree(resultFile(dir, r).toFile()));
        }
        JsonNode spark = o.ranksAs().equals(Options.SPARK) ? runSpark(o, dir) : null;
        return new Result(o, formula.psi(), formula, results, spark);
    }

    /**
     * The same training as one Spark job ({@link MemoryBenchSpark}) in a child JVM of its own, after the rank
     * processes have exited, so its peak RSS is the job's alone.
     */
    private static JsonNode runSpark(Options o, Path dir) throws IOException, InterruptedException {
        Path sparkDir = Files.createDirectories(dir.resolve(SPARK_DIR));
        // Its log is the one RankProcesses.await shows the tail of when the JVM fails (one "rank" that holds all ranks).
        Process p = launch(o.sparkHeap(), MemoryBenchSpark.class, List.of(dir.toString()), RankProcesses.logOf(sparkDir, 0));
        try {
            RankProcesses.await(List.of(p), sparkDir, o.timeoutS() * 4 + 60L * o.steps(), "bench memory --ranks-as spark");
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
        return JSON.readTree(sparkDir.resolve(SPARK_RESULT).toFile());
    }

    /** The smallest vocabulary of a spark run: its synthetic table's ids are below this ({@link TrainDataBench#writeTable}). */
    public static final int SPARK_MIN_VOCAB = TrainDataBench.VOCAB;

    /** Where the Spark run keeps its table, checkpoints, run directory, log and result. */
    static final String SPARK_DIR = "spark";
    static final String SPARK_RESULT = "result.json";

    static Path resultFile(Path dir, int rank) {
        return dir.resolve("result-" + rank + ".json");
    }

    private static Process launch(String heap, Class<?> main, List<String> args, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        if (heap != null) {
            cmd.add("-Xmx" + heap);
        }
        // The module flags (the Vector API of the SIMD AdamW, Spark's opens) and -D settings (DJL offline, log4j)
        // this JVM was started with; not its heap size, agents or debugger.
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("-D") || a.equals("-XX:+IgnoreUnrecognizedVMOptions")) {
                cmd.add(a);
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("GLIBC_TUNABLES", MALLOC_TUNABLES);
        Process p = pb.start();
        p.getOutputStream().close();
        return p;
    }
}
