package dev.zerospark.data.tokenize;

import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.PrepareJob;
import dev.zerospark.data.PrepareResult;
import dev.zerospark.tokenizer.HfTokenizer;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code bench tokenize}: the whole prepare job's throughput next to the raw DJL tokenizer batch-encoding the very
 * same texts (the articles the job kept, as the job tokenizes them: LM text and, for articles with a target, the
 * SFT prompt pieces and response) in this JVM. The native tokenizer
 * parallelises each batch over the machine's cores, as it does inside the job's tasks.
 */
public final class TokenizeBench {
    private TokenizeBench() {}

    /** {@code tokens}: LM tokens the job wrote; {@code rawTexts}: texts the raw tokenizer encoded (LM + SFT pieces). */
    public record Result(long docs, long inputBytes, long tokens, double jobSeconds, double rawSeconds, long rawTexts) {
        public double jobDocsPerSec() {
            return docs / jobSeconds;
        }

        public double jobTokensPerSec() {
            return tokens / jobSeconds;
        }

        public double rawDocsPerSec() {
            return docs / rawSeconds;
        }

        public double rawTokensPerSec() {
            return tokens / rawSeconds;
        }

        /** Same texts, same tokens on both sides: the ratio of the two times. */
        public double ratio() {
            return rawSeconds / jobSeconds;
        }
    }

    public static Result run(SparkSession spark, PrepareConfig cfg, long inputBytes) {
        long t0 = System.nanoTime();
        PrepareResult r = PrepareJob.run(spark, cfg);
        double jobSeconds = (System.nanoTime() - t0) / 1e9;

        // The texts exactly as the job tokenizes them (LM text, plus the SFT pieces of articles with a target), in
        // batches of the job's size; the job's tokens are its LM tokens, so both sides report the same numerator.
        List<Row> rows = spark.read().format("delta").load(PrepareJob.table(cfg, PrepareJob.ARTICLES)).select("title", "text", "target").collectAsList();
        HfTokenizer tok = TokenizerCache.get(TokenizerCache.distribute(spark, cfg.tokenizer()));
        int batch = cfg.tokenizeBatchSize();
        String template = cfg.sft().promptTemplate();
        long rawTexts = 0;
        long t1 = System.nanoTime();
        for (int i = 0; i < rows.size(); i += batch) {
            List<String> texts = new ArrayList<>();
            for (Row row : rows.subList(i, Math.min(rows.size(), i + batch))) Encoder.addTexts(texts, template, row.getString(0), row.getString(1), row.getString(2));
            rawTexts += tok.encodeBatch(texts).length;
        }
        double rawSeconds = (System.nanoTime() - t1) / 1e9;
        return new Result(r.input(), inputBytes, r.tokens(), jobSeconds, rawSeconds, rawTexts);
    }
}
