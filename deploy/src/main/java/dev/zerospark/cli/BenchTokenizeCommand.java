package dev.zerospark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.sample.SampleCorpus;
import dev.zerospark.data.tokenize.TokenizeBench;
import dev.zerospark.data.tokenize.TokenizerTraining;
import dev.zerospark.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;

/**
 * {@code zerospark bench tokenize}: prepare-job docs/s and tokens/s next to the raw DJL tokenizer on the same texts
 * and cores. Without {@code --input} it generates a synthetic corpus of {@code --mb} megabytes (default 100) first.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true, versionProvider = Version.class, description = "Prepare-job throughput vs the raw tokenizer.")
public final class BenchTokenizeCommand implements Runnable {
    @Option(names = "--input", paramLabel = "PATH", description = "JSONL corpus (default: generate one of --mb MB).") String input;
    @Option(names = "--mb", paramLabel = "N", defaultValue = "100", description = "Size of the generated corpus in MB (default ${DEFAULT-VALUE}).") int mb;
    @Option(names = "--tokenizer", paramLabel = "DIR", description = "Tokenizer folder (default: train a 1024-token BPE on the corpus).") String tokenizer;
    @Option(names = "--work-dir", paramLabel = "DIR", defaultValue = "work/bench-tokenize", description = "Scratch folder (default ${DEFAULT-VALUE}).") String workDir;
    @Option(names = "--seq-len", paramLabel = "N", defaultValue = "512", description = "Block length (default ${DEFAULT-VALUE}).") int seqLen;
    @Option(names = "--master", paramLabel = "URL", defaultValue = "local[2]", description = "Spark master (default ${DEFAULT-VALUE}).") String master;
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        Path work = Paths.get(workDir).toAbsolutePath().normalize();
        PrintWriter out = spec.commandLine().getOut();
        try {
            Path corpus = input != null ? Paths.get(input) : work.resolve("corpus/articles.jsonl");
            if (input == null && !Files.isRegularFile(corpus)) {
                // ~800 bytes per synthetic article.
                SampleCorpus.write(corpus.getParent(), Math.max(1000, mb * 1300), 7);
            }
            long bytes = Files.size(corpus);
            SparkSession spark = SparkSessions.getOrCreate("zerospark-bench-tokenize", master, Map.of());
            String tok = tokenizer;
            if (tok == null) {
                Path dir = work.resolve("tokenizer");
                if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
                    var texts = spark.read().option("mode", "DROPMALFORMED").json(corpus.toString()).where(col("body").isNotNull())
                            .limit(20_000).select(concat_ws("\n\n", col("title"), col("body"))).as(org.apache.spark.sql.Encoders.STRING());
                    TokenizerTraining.train(texts, 1024, 2, 2_000_000, dir);
                }
                tok = dir.toString();
            }
            Path tables = work.resolve("tables");
            TempDirs.deleteRecursively(tables); // a fresh output: a rerun would find everything present and tokenize nothing
            PrepareConfig cfg = PrepareConfig.defaults().with(corpus.toString(), "jsonl", tok, tables.toString(), seqLen);
            TokenizeBench.Result r = TokenizeBench.run(spark, cfg, bytes);
            out.printf("corpus %s: %.1f MB, %d docs, %d tokens, master %s%n", corpus, bytes / 1e6, r.docs(), r.tokens(), master);
            out.printf("%-34s %12s %14s %10s%n", "", "docs/s", "tokens/s", "seconds");
            out.printf("%-34s %12.0f %14.0f %10.1f%n", "prepare job, warm JVM (end to end)", r.jobDocsPerSec(), r.jobTokensPerSec(), r.jobSeconds());
            out.printf("%-34s %12.0f %14.0f %10.1f%n", "prepare job, cold JVM (first run)", r.coldJobDocsPerSec(), r.coldJobTokensPerSec(), r.coldJobSeconds());
            out.printf("%-34s %12.0f %14.0f %10.1f%n", "raw DJL batchEncode", r.rawDocsPerSec(), r.rawTokensPerSec(), r.rawSeconds());
            out.printf("%-34s %12.0f %14.0f %10.1f%n", "raw native batch, ids only", r.rawIdsDocsPerSec(), r.rawIdsTokensPerSec(), r.rawIdsSeconds());
            out.printf("raw sides: the same %d texts the job tokenizes (LM text + SFT pieces), batches of %d, one JVM%n", r.rawTexts(), cfg.tokenizeBatchSize());
            out.printf("  DJL batchEncode builds a full Encoding (token strings, spans, masks) per text; the ids-only call skips that%n");
            out.printf("  the job ran twice into empty tables: cold (JIT compiling Spark, Delta, Parquet) then warm; raw sides ran warm%n");
            out.printf("ratio job/raw (throughput on the same texts): %.2f vs DJL batchEncode (target >= 0.80), %.2f vs the ids-only call%n",
                    r.ratio(), r.ratioIds());
            out.printf("  cold JVM: %.2f vs DJL batchEncode, %.2f vs the ids-only call%n", r.ratioCold(), r.ratioIdsCold());
            ObjectNode j = new ObjectMapper().createObjectNode();
            j.put("docs", r.docs()).put("bytes", bytes).put("tokens", r.tokens())
                    .put("job_docs_per_s", r.jobDocsPerSec()).put("job_tokens_per_s", r.jobTokensPerSec())
                    .put("raw_docs_per_s", r.rawDocsPerSec()).put("raw_tokens_per_s", r.rawTokensPerSec()).put("raw_texts", r.rawTexts())
                    .put("raw_ids_tokens_per_s", r.rawIdsTokensPerSec())
                    .put("job_seconds", r.jobSeconds()).put("raw_seconds", r.rawSeconds()).put("raw_ids_seconds", r.rawIdsSeconds())
                    .put("job_cold_seconds", r.coldJobSeconds())
                    .put("ratio", r.ratio()).put("ratio_ids", r.ratioIds())
                    .put("ratio_cold", r.ratioCold()).put("ratio_ids_cold", r.ratioIdsCold());
            out.println(j);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("bench tokenize failed on " + work, e);
        }
    }
}
