package dev.zerospark.cli;

import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.PrepareJob;
import dev.zerospark.data.PrepareResult;
import dev.zerospark.data.sample.SampleCorpus;
import dev.zerospark.data.tokenize.TokenizerTraining;
import dev.zerospark.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.generate.TextCompleter;
import dev.zerospark.training.CheckpointExport;
import dev.zerospark.training.TrainJob;
import dev.zerospark.training.metrics.StepMetrics;
import org.apache.spark.sql.Row;

import java.io.PrintWriter;
import java.util.List;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;

/**
 * {@code zerospark demo}: generates the sample corpus, trains a byte-level BPE tokenizer on it, runs the prepare
 * pipeline, trains a tiny model on 2 ranks with ZeRO-2 and generates a riddle with it, all locally (local[2],
 * local disk). Needs nothing outside the repository.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Run the whole pipeline on the bundled sample corpus, locally.")
public final class DemoCommand implements Runnable {
    @Option(names = "--work-dir", paramLabel = "DIR", defaultValue = "work/demo", description = "Where the sample, tokenizer and tables go (default work/demo).") String workDir;
    @Option(names = "--articles", paramLabel = "N", defaultValue = "300", description = "Synthetic articles to generate (default 300).") int articles;
    @Option(names = "--vocab-size", paramLabel = "N", defaultValue = "1024", description = "Tokenizer vocabulary (default 1024).") int vocabSize;
    @Option(names = "--seq-len", paramLabel = "N", defaultValue = "128", description = "Tokens per block (default 128).") int seqLen;
    @Option(names = "--train-steps", paramLabel = "N", defaultValue = "300", description = "Training steps after prepare; 0 skips training (default 300).") int trainSteps;
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        Path work = Paths.get(workDir).toAbsolutePath().normalize();
        PrintWriter out = spec.commandLine().getOut();
        Path sample = SampleCorpus.write(work.resolve("sample"), articles, 42);
        out.println("sample corpus: " + sample);
        SparkSession spark = SparkSessions.getOrCreate("zerospark-demo", "local[2]", Map.of());

        Path tokenizer = work.resolve("tokenizer");
        if (!Files.isRegularFile(tokenizer.resolve("tokenizer.json"))) {
            // Trained on the raw sample (well-formed lines only): the tokenizer must exist before prepare runs.
            var texts = spark.read().option("mode", "DROPMALFORMED").json(sample.toString())
                    .where(col("body").isNotNull())
                    .select(concat_ws("\n\n", col("title"), col("body")))
                    .as(org.apache.spark.sql.Encoders.STRING());
            TokenizerTraining.train(texts, vocabSize, 2, 2_000_000, tokenizer);
        }
        out.println("tokenizer: " + tokenizer);

        PrepareConfig cfg = PrepareConfig.defaults().with(sample.toString(), "jsonl", tokenizer.toString(),
                work.resolve("tables").toString(), seqLen);
        PrepareResult r = PrepareJob.run(spark, cfg);
        PrepareCommand.printTables(out, cfg);
        out.println("quarantine reasons: " + r.quarantineReasons());
        out.println("query them with Spark SQL, e.g. SELECT reason, count(*) FROM delta.`" + PrepareJob.table(cfg, PrepareJob.QUARANTINE) + "` GROUP BY reason");
        out.println(r.toJson());
        out.flush();
        if (trainSteps > 0) {
            train(spark, work, cfg, tokenizer, out);
        }
    }

    /**
     * Trains a tiny GPT-2 from scratch on the packed blocks with 2 ranks and ZeRO-2, checkpointing as it goes, then
     * exports the last checkpoint to an HF directory and asks it for a riddle about one of the sample articles.
     */
    private void train(SparkSession spark, Path work, PrepareConfig cfg, Path tokenizer, PrintWriter out) {
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

            Path model = work.resolve("model");
            CheckpointExport.export(CheckpointExport.resolve(train.checkpointDir(), new org.apache.hadoop.conf.Configuration()), model, tokenizer);
            out.println("exported model: " + model);
            Row article = spark.read().format("delta").load(PrepareJob.table(cfg, PrepareJob.ARTICLES))
                    .orderBy("content_hash").select("title", "text").first();
            String body = article.getString(1);
            String prompt = PrepareConfig.Sft.DEFAULT_PROMPT.replace("{title}", article.getString(0))
                    .replace("{article}", body.length() > 240 ? body.substring(0, 240) : body);
            try (TextCompleter completer = TextCompleter.open(model)) {
                var completion = completer.complete(List.of(prompt), completer.options(24, 0.8, 40, 0.95, 7, List.of("\n\n")));
                out.println("riddle from the demo model (tiny and briefly trained, so expect word salad): "
                        + completion.get(0).text().strip());
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        out.flush();
    }
}
