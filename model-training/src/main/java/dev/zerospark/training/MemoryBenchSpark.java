package dev.zerospark.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.spark.SparkSessions;
import dev.zerospark.training.metrics.StepMetrics;
import org.apache.spark.sql.SparkSession;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code bench memory --ranks-as spark}: the training of {@link MemoryBench} as the production job runs it,
 * {@link TrainJob} on Spark {@code local[N]}, every rank a barrier task of this one JVM ({@code MemoryBenchSpark DIR},
 * the options in {@code DIR/options.json}). It writes a synthetic lm_blocks table with Spark
 * ({@link TrainDataBench#writeTable}), trains the random-init model of the bench's shape on it, and writes this
 * process's memory to {@code DIR/spark/result.json}: its peak RSS over the job (VmHWM, reset when the job starts,
 * so Spark's start and the table's writing are left out, the final checkpoint and the metrics table are in), its
 * RSS before the job, the heap's peak, and the steps' times. One process holds every rank, so its RSS is theirs
 * together plus one JVM, one Spark and one libtorch.
 */
public final class MemoryBenchSpark {
    private static final ObjectMapper JSON = new ObjectMapper();

    private MemoryBenchSpark() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: MemoryBenchSpark DIR; got " + args.length + " arguments");
        }
        Path dir = Path.of(args[0]);
        MemoryBench.Options o = JSON.readValue(dir.resolve(MemoryBench.OPTIONS).toFile(), MemoryBench.Options.class);
        Path work = dir.resolve(MemoryBench.SPARK_DIR);
        ai.djl.engine.Engine.getEngine("PyTorch"); // in the baseline, as in every rank process
        SparkSession spark = SparkSessions.getOrCreate("zerospark-bench-memory", "local[" + o.worldSize() + "]",
                TrainDataBench.sessionConf(TrainDataBench.Cluster.LOCAL, o.worldSize()));
        try {
            String table = work.resolve("lm_blocks").toUri().toString();
            TrainDataBench.writeTable(spark, table, rows(o), o.seqLen() + 1);
            Map<String, Object> keys = new HashMap<>(MemoryBench.trainKeys(o, work));
            keys.put("train.data", table);
            TrainConfig cfg = ConfigLoader.load(null, keys).train();
            ModelSource source = ModelSource.random(MemoryBench.modelConfig(o), 1, o.activationCheckpointing(), o.precision());
            MemoryBenchRank.ProcMemory before = MemoryBenchRank.ProcMemory.read();
            MemoryBenchRank.ProcMemory.resetPeak();
            long start = System.nanoTime();
            TrainJob.Result trained = TrainJob.run(spark, cfg, source);
            double seconds = (System.nanoTime() - start) / 1e9;
            MemoryBenchRank.ProcMemory after = MemoryBenchRank.ProcMemory.read();
            ObjectNode r = JSON.createObjectNode();
            r.put("pid", ProcessHandle.current().pid()).put("master", spark.sparkContext().master())
                    .put("ranks_in_this_jvm", o.worldSize()).put("restarts", trained.restarts())
                    .put("baseline_rss", before.rss()).put("peak_rss_setup", before.hwm())
                    .put("peak_rss_job", after.hwm()).put("rss_after_job", after.rss())
                    .put("heap_peak_used", MemoryBenchRank.heapPeakUsed()).put("heap_max", Runtime.getRuntime().maxMemory())
                    .put("job_seconds", seconds);
            ArrayNode steps = r.putArray("steps");
            for (StepMetrics m : trained.metrics()) {
                steps.addObject().put("step", m.step()).put("loss", m.loss()).put("step_s", m.stepSeconds())
                        .put("compute_s", m.computeSeconds()).put("comm_s", m.commSeconds())
                        .put("optimizer_s", m.optimizerSeconds()).put("tokens_per_s", m.tokensPerS());
            }
            Path tmp = work.resolve(".result.tmp");
            Files.writeString(tmp, JSON.writeValueAsString(r), StandardCharsets.UTF_8);
            Files.move(tmp, work.resolve(MemoryBench.SPARK_RESULT), StandardCopyOption.ATOMIC_MOVE);
        } finally {
            spark.stop();
        }
    }

    /** Enough train rows for every step of every rank twice over (every 50th row is a validation row). */
    static long rows(MemoryBench.Options o) {
        return 2L * o.worldSize() * o.microBatch() * (o.steps() + 1) + TrainDataBench.VALIDATION_EVERY;
    }
}
