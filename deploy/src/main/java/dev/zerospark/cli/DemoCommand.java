package dev.zerospark.cli;

import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.PrepareConfig;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.data.PrepareJob;
import dev.zerospark.data.PrepareResult;
import dev.zerospark.data.sample.SampleCorpus;
import dev.zerospark.data.tokenize.TokenizerTraining;
import dev.zerospark.spark.SparkSessions;
import dev.zerospark.checkpoint.CheckpointExport;
import dev.zerospark.training.TrainJob;
import dev.zerospark.training.metrics.StepMetrics;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;


/**
 * {@code zerospark demo}: generates the sample corpus, trains a byte-level BPE tokenizer on it, runs the prepare
 * pipeline, trains a tiny model on 2 ranks with ZeRO-2, then runs the four riddle pipelines (few-shot and instruct on
 * the untrained base model, the service pipeline against a loopback {@code serve} of the fine-tuned model, the
 * fine-tuned model itself) over the validation articles into one {@code riddles} table and compares them with
 * {@code eval compare}, all locally (local[2], local disk). Needs nothing outside the repository.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = Version.class, description = "Run the whole pipeline on the bundled sample corpus, locally.")
public final class DemoCommand implements Runnable {
    @Option(names = "--work-dir", paramLabel = "DIR", defaultValue = "work/demo", description = "Where the sample, tokenizer and tables go (default ${DEFAULT-VALUE}).") String workDir;
    @Option(names = "--articles", paramLabel = "N", defaultValue = "300", description = "Synthetic articles to generate (default ${DEFAULT-VALUE}).") int articles;
    @Option(names = "--vocab-size", paramLabel = "N", defaultValue = "1024", description = "Tokenizer vocabulary (default ${DEFAULT-VALUE}).") int vocabSize;
    @Option(names = "--seq-len", paramLabel = "N", defaultValue = "128", description = "Tokens per block (default ${DEFAULT-VALUE}).") int seqLen;
    @Option(names = "--train-steps", paramLabel = "N", defaultValue = "300", description = "Training steps after prepare; 0 skips training (default ${DEFAULT-VALUE}).") int trainSteps;
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        Path work = Paths.get(workDir).toAbsolutePath().normalize();
        PrintWriter out = spec.commandLine().getOut();
        Path sample = SampleCorpus.write(work.resolve("sample"), articles, 42);
        out.println("sample corpus: " + sample);
        SparkSession spark = SparkSessions.getOrCreate("zerospark-demo", "local[2]", Map.of());

        Path tokenizer = work.resolve("tokenizer");
        PrepareConfig cfg = PrepareConfig.defaults().with(sample.toString(), "jsonl", tokenizer.toString(),
                work.resolve("tables").toString(), seqLen);
        if (!Files.isRegularFile(tokenizer.resolve("tokenizer.json"))) {
            // Trained on the raw sample, cleaned as prepare cleans it: the tokenizer must exist before prepare runs.
            TokenizerTraining.train(TokenizerTraining.rawTexts(spark, cfg), vocabSize, 2, 2_000_000, tokenizer);
        }
        out.println("tokenizer: " + tokenizer);

        PrepareResult r = PrepareJob.run(spark, cfg);
        PrepareCommand.printTables(out, cfg);
        out.println("quarantine reasons: " + r.quarantineReasons());
        out.println(r.toJson());
        out.flush();
        Path model = work.resolve("model");
        if (trainSteps > 0) {
            train(spark, work, cfg, tokenizer, model, out);
        }
        out.println("next steps:");
        for (String step : nextSteps(work, cfg, trainSteps > 0 ? model : null)) out.println("  " + step);
        out.flush();
    }

    /** Three commands to try next, each a real command line for the tables and model this run made. */
    static List<String> nextSteps(Path work, PrepareConfig cfg, Path model) {
        String b = "deploy/bin/zerospark";
        String lmBlocks = PrepareJob.table(cfg, PrepareJob.LM_BLOCKS);
        String train = model != null
                ? b + " train --model " + model + " --data " + lmBlocks + " --world-size 2 --steps 100 --checkpoint-dir "
                        + work.resolve("next/checkpoints") + " --run-dir " + work.resolve("next/run")
                : b + " train --arch gpt2 --preset tiny --data " + lmBlocks + " --world-size 2 --steps 100 --checkpoint-dir "
                        + work.resolve("next/checkpoints") + " --run-dir " + work.resolve("next/run");
        String second = model != null
                ? b + " complete --model " + model + " --prompt \"Write a riddle about a harbour.\" --max-new-tokens 40 --temperature 0.8 --seed 1"
                : b + " table history " + lmBlocks;
        return List.of(b + " table show " + PrepareJob.table(cfg, PrepareJob.QUARANTINE) + " --columns reason,detail,source_file --limit 10",
                second, train);
    }

    /**
     * Trains a tiny GPT-2 from scratch on the packed blocks with 2 ranks and ZeRO-2, checkpointing as it goes, then
     * exports the last checkpoint to an HF directory and compares the four riddle pipelines ({@link DemoComparison}).
     */
    private void train(SparkSession spark, Path work, PrepareConfig cfg, Path tokenizer, Path model, PrintWriter out) {
        Map<String, Object> keys = new java.util.HashMap<>();
        keys.put("train.arch", "gpt2");
        keys.put("train.preset", "tiny");
        keys.put("train.data", PrepareJob.table(cfg, PrepareJob.LM_BLOCKS));
        keys.put("train.world_size", 2);
        keys.put("train.zero.stage", 2);
        keys.put("train.steps", trainSteps);
        keys.put("train.micro_batch_size", 4);
        keys.put("train.optimizer.lr", 3e-3);
        keys.put("train.optimizer.warmup_steps", Math.min(20, trainSteps / 10));
        keys.put("train.checkpoint_dir", work.resolve("checkpoints").toUri().toString());
        keys.put("train.checkpoint_interval", Math.max(1, trainSteps / 3));
        keys.put("train.eval_interval", Math.max(1, trainSteps / 6));
        keys.put("train.run_dir", work.resolve("run").toUri().toString());
        keys.put("train.resume", false);
        keys.put("train.overwrite", true); // the demo owns its work directory: a rerun starts over
        TrainConfig train = ConfigLoader.load(null, keys).train();
        try {
            TrainJob.Result result = TrainJob.run(spark, train);
            StepMetrics first = result.metrics().get(0);
            StepMetrics last = result.metrics().get(result.metrics().size() - 1);
            out.printf(java.util.Locale.ROOT, "trained gpt2-tiny on 2 ranks with ZeRO-2: loss %.3f -> %.3f over %d steps%n",
                    first.loss(), last.loss(), trainSteps);
            out.println("checkpoints: " + train.checkpointDir());
            out.println("loss plot: " + result.reportUri());

            CheckpointExport.export(CheckpointExport.resolve(train.checkpointDir(), new org.apache.hadoop.conf.Configuration()), model, tokenizer);
            out.println("exported model: " + model);
            DemoComparison.run(spark, cfg, work, model, work.resolve("base-model"), tokenizer, train.seed(), out);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        out.flush();
    }
}
