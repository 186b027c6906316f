package dev.zerospark.data.tokenize;

import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.PrepareJob;
import dev.zerospark.data.PrepareResult;
import dev.zerospark.table.Articles;
import dev.zerospark.template.PromptTemplate;
import dev.zerospark.template.PromptTemplates;
import dev.zerospark.tokenizer.HfTokenizer;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code bench tokenize}: the whole prepare job's throughput next to the raw DJL tokenizer batch-encoding the very
 * same texts (the articles the job kept, as the job tokenizes them: LM text and, for articles with a target, the
 * SFT prompt pieces and response) in this JVM. The native tokenizer parallelises each batch over the machine's
 * cores. Two raw baselines run: DJL's public {@code batchEncode}, which builds a full {@code Encoding} per text
 * (what a plain DJL user gets, and what the job used before), and the same native batch call asked for ids only
 * (what the job now does per text): the tighter bound.
 * <p>The job runs twice on the same input, each time into empty tables: first in a cold JVM, then warm. The cold
 * run pays the JIT compiling Spark's, Delta's, Parquet's and our code (measured: about 25 s of C2 compiler-thread
 * CPU in a 57 s run on 2 cores, 7.5 s in the warm run), a fixed cost that an archive of gigabytes or a long-lived
 * executor amortises; the warm run is the job's throughput. Both are printed. The raw sides run warm too (each
 * after one untimed batch), as JMH would run them.
 */
public final class TokenizeBench {
    private TokenizeBench() {}

    /**
     * {@code tokens}: LM tokens the job wrote; {@code rawTexts}: texts each raw baseline encoded (LM + SFT pieces);
     * {@code rawSeconds}: DJL's batchEncode; {@code rawIdsSeconds}: the native batch call, ids only;
     * {@code jobSeconds}: the warm run; {@code coldJobSeconds}: the first run in this JVM.
     */
    public record Result(long docs, long inputBytes, long tokens, double jobSeconds, double coldJobSeconds, double rawSeconds,
                         double rawIdsSeconds, long rawTexts) {
        public double jobDocsPerSec() {
            return docs / jobSeconds;
        }

        public double jobTokensPerSec() {
            return tokens / jobSeconds;
        }

        public double coldJobDocsPerSec() {
            return docs / coldJobSeconds;
        }

        public double coldJobTokensPerSec() {
            return tokens / coldJobSeconds;
        }

        public double rawDocsPerSec() {
            return docs / rawSeconds;
        }

        public double rawTokensPerSec() {
            return tokens / rawSeconds;
        }

        public double rawIdsTokensPerSec() {
            return tokens / rawIdsSeconds;
        }

        public double rawIdsDocsPerSec() {
            return docs / rawIdsSeconds;
        }

        /** Same texts, same tokens on both sides: the ratio of the two times, against DJL's batchEncode. */
        public double ratio() {
            return rawSeconds / jobSeconds;
        }

        /** The same against the ids-only native batch call. */
        public double ratioIds() {
            return rawIdsSeconds / jobSeconds;
        }

        /** {@link #ratio()} for the cold run. */
        public double ratioCold() {
            return rawSeconds / coldJobSeconds;
        }

        /** {@link #ratioIds()} for the cold run. */
        public double ratioIdsCold() {
            return rawIdsSeconds / coldJobSeconds;
        }
    }

    /** Runs the job cold and warm into {@code cfg.output()}, which must be empty or absent (it is emptied between the runs). */
    public static Result run(SparkSession spark, PrepareConfig cfg, long inputBytes) {
        long t0 = System.nanoTime();
        PrepareResult cold = PrepareJob.run(spark, cfg);
        double coldSeconds = (System.nanoTime() - t0) / 1e9;
        delete(spark, cfg.output()); // the warm run does the very same work: into empty tables
        long t1 = System.nanoTime();
        PrepareResult r = PrepareJob.run(spark, cfg);
        double jobSeconds = (System.nanoTime() - t1) / 1e9;
        if (r.input() != cold.input() || r.tokens() != cold.tokens()) {
            throw new IllegalStateException("bench tokenize: the warm run differs from the cold one: " + r.toJson() + " vs " + cold.toJson());
        }

        // The texts exactly as the job tokenizes them (LM text, plus the SFT pieces of articles with a target), in
        // batches of the job's size; the job's tokens are its LM tokens, so both sides report the same numerator.
        List<Row> rows = spark.read().format("delta").load(PrepareJob.table(cfg, PrepareJob.ARTICLES)).select(Articles.TITLE, Articles.TEXT, Articles.TARGET).collectAsList();
        HfTokenizer tok = TokenizerCache.get(TokenizerCache.distribute(spark, cfg.tokenizer()));
        int batch = cfg.tokenizeBatchSize();
        PromptTemplate template = PromptTemplates.resolve(cfg.sft().template());
        List<List<String>> batches = new ArrayList<>();
        long rawTexts = 0;
        for (int i = 0; i < rows.size(); i += batch) {
            List<String> texts = new ArrayList<>();
            for (Row row : rows.subList(i, Math.min(rows.size(), i + batch))) Encoder.addTexts(texts, template, row.getString(0), row.getString(1), row.getString(2));
            batches.add(texts);
            rawTexts += texts.size();
        }
        if (!batches.isEmpty()) { // one untimed batch each, so neither side pays a first-call cost the other does not
            tok.encodeBatchWithEncodings(batches.get(0));
            tok.encodeBatch(batches.get(0));
        }
        long t2 = System.nanoTime();
        for (List<String> texts : batches) tok.encodeBatchWithEncodings(texts);
        double rawSeconds = (System.nanoTime() - t2) / 1e9;
        long t3 = System.nanoTime();
        for (List<String> texts : batches) tok.encodeBatch(texts);
        double rawIdsSeconds = (System.nanoTime() - t3) / 1e9;
        return new Result(r.input(), inputBytes, r.tokens(), jobSeconds, coldSeconds, rawSeconds, rawIdsSeconds, rawTexts);
    }

    private static void delete(SparkSession spark, String uri) {
        Path p = new Path(uri);
        try {
            p.getFileSystem(spark.sessionState().newHadoopConf()).delete(p, true);
            DeltaLog.clearCache(); // the deleted tables' logs, cached in this JVM, start again from nothing
        } catch (IOException e) {
            throw new UncheckedIOException("bench tokenize: cannot empty " + uri + " between the cold and the warm run", e);
        }
    }
}
