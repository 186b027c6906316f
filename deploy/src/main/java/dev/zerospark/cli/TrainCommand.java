package dev.zerospark.cli;

import dev.zerospark.config.ConfigException;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.config.ZeroSparkConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import dev.zerospark.spark.SparkSessions;
import dev.zerospark.training.TrainJob;
import dev.zerospark.training.metrics.StepMetrics;
import org.apache.spark.sql.SparkSession;

import java.io.PrintWriter;
import java.util.Map;

@Command(name = "train", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Data-parallel ZeRO training as one Spark barrier stage; flags override --config values.")
public final class TrainCommand implements Runnable {
    @Mixin ConfigOption config;
    @Option(names = "--model", paramLabel = "DIR|URI", descriptionKey = "train.model") String model;
    @Option(names = "--arch", paramLabel = "gpt2|llama", descriptionKey = "train.arch") String arch;
    @Option(names = "--preset", paramLabel = "tiny|small", descriptionKey = "train.preset") String preset;
    @Option(names = "--data", paramLabel = "URI", descriptionKey = "train.data") String data;
    @Option(names = "--world-size", paramLabel = "N", descriptionKey = "train.world_size") Integer worldSize;
    @Option(names = "--zero-stage", paramLabel = "S", descriptionKey = "train.zero.stage") Integer zeroStage;
    @Option(names = "--steps", paramLabel = "N", descriptionKey = "train.steps") Integer steps;
    @Option(names = "--micro-batch-size", paramLabel = "B", descriptionKey = "train.micro_batch_size") Integer microBatchSize;
    @Option(names = "--grad-accum", paramLabel = "K", descriptionKey = "train.grad_accum") Integer gradAccum;
    @Option(names = "--seq-len", paramLabel = "T", descriptionKey = "train.seq_len") Integer seqLen;
    @Option(names = "--lr", paramLabel = "X", descriptionKey = "train.optimizer.lr") Double lr;
    @Option(names = "--checkpoint-dir", paramLabel = "URI", descriptionKey = "train.checkpoint_dir") String checkpointDir;
    @Option(names = "--checkpoint-interval", paramLabel = "K", descriptionKey = "train.checkpoint_interval") Integer checkpointInterval;
    @Option(names = "--run-dir", paramLabel = "DIR|URI", descriptionKey = "train.run_dir") String runDir;
    @Option(names = "--resume", descriptionKey = "train.resume") Boolean resume;
    @Option(names = "--overwrite", descriptionKey = "train.overwrite") Boolean overwrite;
    @Option(names = "--deepspeed-config", paramLabel = "FILE", descriptionKey = "train.deepspeed_config") String deepspeedConfig;
    @Option(names = "--collective-timeout-s", paramLabel = "S", descriptionKey = "train.collective_timeout_s") Integer collectiveTimeoutS;
    @Option(names = "--frame-mac", negatable = true, descriptionKey = "train.frame_mac") Boolean frameMac;
    @Option(names = "--activation-checkpointing", negatable = true, descriptionKey = "train.activation_checkpointing") Boolean activationCheckpointing;
    @Option(names = "--precision", paramLabel = "P", descriptionKey = "train.precision") String precision;

    /** The resolved training config: file values with these flags laid over them. */
    TrainConfig resolve() {
        ZeroSparkConfig c = config.load(spec);
        return c.train();
    }

    @Option(names = "--master", paramLabel = "URL", description = "Spark master when not under spark-submit (default local[world size]).") String master;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /**
     * The master when none is given: one local slot per rank. More ranks than cores would run, slowly, one core
     * shared by several ranks, so that needs an explicit {@code --master local[N]}.
     */
    static String defaultLocalMaster(int worldSize, int cores) {
        if (worldSize > cores) {
            throw new ConfigException("train.world_size", "train.world_size " + worldSize + " is more than the " + cores
                    + " cores of this machine, and the default master runs one rank per core: lower --world-size to " + cores
                    + ", or pass --master local[" + worldSize + "] to share cores between ranks anyway");
        }
        return "local[" + Math.max(2, worldSize) + "]";
    }

    @Override
    public void run() {
        TrainConfig cfg = resolve();
        String sparkMaster = master != null ? master
                : System.getProperty("spark.master") != null ? null : defaultLocalMaster(cfg.worldSize(), Runtime.getRuntime().availableProcessors());
        SparkSession spark = SparkSessions.getOrCreate("zerospark-train", sparkMaster, Map.of());
        TrainJob.Result r;
        try {
            r = TrainJob.run(spark, cfg);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        PrintWriter out = spec.commandLine().getOut();
        StepMetrics last = r.metrics().get(r.metrics().size() - 1);
        out.println("loss plot: " + r.reportUri());
        out.println("metrics: " + cfg.runDir() + "/metrics.jsonl (Delta table " + r.metricsTable() + ")");
        out.println("checkpoints: " + cfg.checkpointDir());
        out.printf(java.util.Locale.ROOT, "{\"steps\":%d,\"final_loss\":%.6f,\"restarts\":%d,\"report\":\"%s\"}%n",
                last.step(), last.loss(), r.restarts(), r.reportUri());
        out.flush();
    }
}
