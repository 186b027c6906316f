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

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;

/**
 * {@code zerospark demo}: generates the sample corpus, trains a byte-level BPE tokenizer on it and runs the
 * prepare pipeline, all locally (local[2], local disk). Needs nothing outside the repository.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Run the whole pipeline on the bundled sample corpus, locally.")
public final class DemoCommand implements Runnable {
    @Option(names = "--work-dir", paramLabel = "DIR", defaultValue = "work/demo", description = "Where the sample, tokenizer and tables go (default work/demo).") String workDir;
    @Option(names = "--articles", paramLabel = "N", defaultValue = "300", description = "Synthetic articles to generate (default 300).") int articles;
    @Option(names = "--vocab-size", paramLabel = "N", defaultValue = "1024", description = "Tokenizer vocabulary (default 1024).") int vocabSize;
    @Option(names = "--seq-len", paramLabel = "N", defaultValue = "128", description = "Tokens per block (default 128).") int seqLen;
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
    }
}
