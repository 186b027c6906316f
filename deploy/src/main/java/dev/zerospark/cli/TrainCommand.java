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
import java.util.HashMap;
import java.util.Map;

@Command(name = "train", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Data-parallel ZeRO training as one Spark barrier stage; flags override --config values.")
public final class TrainCommand implements Runnable {
    @Mixin ConfigOption config;
    @Option(names = "--model", paramLabel = "DIR|URI", description = "HF model directory to fine-tune.") String model;
    @Option(names = "--arch", description = "gpt2 | llama, to train from scratch with --preset.") String arch;
    @Option(names = "--preset", description = "Size preset for --arch: tiny | small.") String preset;
    @Option(names = "--data", paramLabel = "URI", description = "Delta table of lm_blocks or sft_pairs.") String data;
    @Option(names = "--world-size", paramLabel = "N", description = "Ranks (barrier tasks).") Integer worldSize;
    @Option(names = "--zero-stage", paramLabel = "S", description = "ZeRO stage 0, 1 or 2.") Integer zeroStage;
    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps.") Integer steps;
    @Option(names = "--micro-batch-size", paramLabel = "B", description = "Sequences per rank per micro-batch.") Integer microBatchSize;
    @Option(names = "--grad-accum", paramLabel = "K", description = "Micro-batches per optimizer step.") Integer gradAccum;
    @Option(names = "--seq-len", paramLabel = "T", description = "Tokens per sequence.") Integer seqLen;
    @Option(names = "--lr", paramLabel = "X", description = "Peak learning rate.") Double lr;
    @Option(names = "--checkpoint-dir", paramLabel = "URI", description = "Checkpoint root (file://, s3a://, hdfs://, dbfs:/).") String checkpointDir;
    @Option(names = "--checkpoint-interval", paramLabel = "K", description = "Steps between checkpoints.") Integer checkpointInterval;
    @Option(names = "--run-dir", paramLabel = "DIR|URI", description = "Where metrics.jsonl and the loss plot go.") String runDir;
    @Option(names = "--resume", description = "Resume from the latest complete checkpoint.") Boolean resume;
    @Option(names = "--overwrite", description = "Delete the checkpoints already in --checkpoint-dir, then start a fresh run.") Boolean overwrite;
    @Option(names = "--deepspeed-config", paramLabel = "FILE", description = "DeepSpeed ds_config.json; mapped keys apply.") String deepspeedConfig;
    @Option(names = "--collective-timeout-s", paramLabel = "S", description = "Seconds a rank waits on its ring neighbours before failing (loading not included).") Integer collectiveTimeoutS;
    @Option(names = "--frame-mac", negatable = true, description = "Authenticate gradient frames between ranks (HMAC-SHA256); --no-frame-mac only on trusted networks.") Boolean frameMac;

    /** The resolved training config: file values with these flags laid over them. */
    TrainConfig resolve() {
        Map<String, Object> o = new HashMap<>();
        o.put("train.model", model);
        o.put("train.arch", arch);
        o.put("train.preset", preset);
        o.put("train.data", data);
        o.put("train.world_size", worldSize);
        o.put("train.zero.stage", zeroStage);
        o.put("train.steps", steps);
        o.put("train.micro_batch_size", microBatchSize);
        o.put("train.grad_accum", gradAccum);
        o.put("train.seq_len", seqLen);
        o.put("train.optimizer.lr", lr);
        o.put("train.checkpoint_dir", checkpointDir);
        o.put("train.checkpoint_interval", checkpointInterval);
        o.put("train.run_dir", runDir);
        o.put("train.resume", resume);
        o.put("train.overwrite", overwrite);
        o.put("train.deepspeed_config", deepspeedConfig);
        o.put("train.collective_timeout_s", collectiveTimeoutS);
        o.put("train.frame_mac", frameMac);
        ZeroSparkConfig c = config.load(o);
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
