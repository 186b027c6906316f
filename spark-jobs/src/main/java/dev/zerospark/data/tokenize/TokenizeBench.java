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
 * same texts (the articles the job kept, as the job tokenizes them) in this JVM. The native tokenizer
 * parallelises each batch over the machine's cores, as it does inside the job's tasks.
 */
public final class TokenizeBench {
    private TokenizeBench() {}

    public record Result(long docs, long inputBytes, long tokens, double jobSeconds, double rawSeconds, long rawTokens) {
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
            return rawTokens / rawSeconds;
        }

        public double ratio() {
            return jobTokensPerSec() / rawTokensPerSec();
        }
    }

    public static Result run(SparkSession spark, PrepareConfig cfg, long inputBytes) {
        long t0 = System.nanoTime();
        PrepareResult r = PrepareJob.run(spark, cfg);
        double jobSeconds = (System.nanoTime() - t0) / 1e9;

        List<String> texts = new ArrayList<>();
        for (Row row : spark.read().format("delta").load(PrepareJob.table(cfg, PrepareJob.ARTICLES)).select("title", "text").collectAsList()) {
            texts.add(Encoder.lmText(row.getString(0), row.getString(1)));
        }
        HfTokenizer tok = TokenizerCache.get(TokenizerCache.distribute(spark, cfg.tokenizer()));
        int batch = cfg.tokenizeBatchSize();
        long rawTokens = 0;
        long t1 = System.nanoTime();
        for (int i = 0; i < texts.size(); i += batch) {
            for (int[] ids : tok.encodeBatch(texts.subList(i, Math.min(texts.size(), i + batch)))) rawTokens += ids.length + 1; // + EOS, as the job counts
        }
        double rawSeconds = (System.nanoTime() - t1) / 1e9;
        return new Result(r.input(), inputBytes, r.tokens(), jobSeconds, rawSeconds, rawTokens);
    }
}
