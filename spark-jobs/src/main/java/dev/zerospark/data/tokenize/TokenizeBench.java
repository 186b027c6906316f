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
 * SFT prompt pieces and response) in this JVM. The native tokenizer parallelises each batch over the machine's
 * cores. Two raw baselines run: DJL's public {@code batchEncode}, which builds a full {@code Encoding} per text
 * (what a plain DJL user gets, and what the job used before), and the same native batch call asked for ids only
 * (what the job now does per text): the tighter bound.
 */
public final class TokenizeBench {
    private TokenizeBench() {}

    /**
     * {@code tokens}: LM tokens the job wrote; {@code rawTexts}: texts each raw baseline encoded (LM + SFT pieces);
     * {@code rawSeconds}: DJL's batchEncode; {@code rawIdsSeconds}: the native batch call, ids only.
     */
    public record Result(long docs, long inputBytes, long tokens, double jobSeconds, double rawSeconds, double rawIdsSeconds, long rawTexts) {
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
        long t1 = System.nanoTime();
        for (List<String> texts : batches) tok.encodeBatchWithEncodings(texts);
        double rawSeconds = (System.nanoTime() - t1) / 1e9;
        long t2 = System.nanoTime();
        for (List<String> texts : batches) tok.encodeBatch(texts);
        double rawIdsSeconds = (System.nanoTime() - t2) / 1e9;
        return new Result(r.input(), inputBytes, r.tokens(), jobSeconds, rawSeconds, rawIdsSeconds, rawTexts);
    }
}
