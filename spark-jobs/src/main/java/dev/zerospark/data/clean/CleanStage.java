package dev.zerospark.data.clean;

import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.dedup.MinHasher;
import dev.zerospark.data.ingest.Ingest;
import dev.zerospark.data.ingest.RawRecord;
import dev.zerospark.spark.Contracts;
import dev.zerospark.table.Articles;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import static dev.zerospark.spark.InternalRows.utf8;


/**
 * Raw records to cleaned records: {@link RawRecord#SCHEMA} plus the clean {@code text}, its {@code content_hash},
 * MinHash signature and LSH band keys, an {@code article_id} (the input id, else file:offset) and an
 * {@code order_key} that sorts earliest first (published date, then file, then offset). Records that fail
 * cleaning keep their {@code reason}; records already rejected at ingest pass through unchanged. The raw
 * {@code body} is dropped from records that pass (null), since {@code text} supersedes it.
 */
public final class CleanStage {
    private CleanStage() {}

    /** Named as the {@code articles} columns they become. */
    public static final StructType SCHEMA = RawRecord.SCHEMA
            .add(Articles.TEXT, DataTypes.StringType)
            .add(Articles.CONTENT_HASH, DataTypes.StringType)
            .add(Articles.MINHASH, Contracts.type(Articles.CONTRACT.column(Articles.MINHASH).type()))
            .add(Articles.LSH, Contracts.type(Articles.CONTRACT.column(Articles.LSH).type()))
            .add(Articles.ARTICLE_ID, DataTypes.StringType)
            .add("order_key", DataTypes.StringType);

    /** Ingest and clean in one pass over the input: raw records are cleaned in the task that parses them. */
    public static Dataset<Row> read(SparkSession spark, PrepareConfig cfg, String runId) {
        PrepareConfig.Dedup d = cfg.dedup();
        TextCleaner cleaner = new TextCleaner(cfg.clean());
        MinHasher hasher = new MinHasher(d.shingleSize(), d.bands() * d.rows());
        int bands = d.bands();
        int rows = d.rows();
        return Ingest.read(spark, cfg, runId, SCHEMA, (rec, run) -> cleanRow(rec, run, cleaner, hasher, bands, rows));
    }

    /**
     * One record of {@link #SCHEMA}, built in Spark's internal form (strings as UTF8String, signature and band keys
     * as primitive array data), so that no per-value conversion from Java objects runs after it.
     */
    static InternalRow cleanRow(RawRecord r, String runId, TextCleaner cleaner, MinHasher hasher, int bands, int rows) {
        TextCleaner.Result res = r.reason == null ? cleaner.clean(r.body) : null;
        boolean passed = res != null && res.reason() == null;
        Object[] v = new Object[SCHEMA.size()];
        v[0] = utf8(r.sourceFile);
        v[1] = r.sourceOffset;
        v[2] = utf8(runId);
        v[3] = utf8(r.id);
        v[4] = utf8(passed ? cleaner.cleanShort(r.title) : r.title);
        v[5] = passed ? null : utf8(r.body); // a passing record's clean text replaces its raw body: the cache need not hold both
        v[6] = utf8(r.published);
        v[7] = utf8(r.url);
        v[8] = utf8(passed ? cleaner.cleanShort(r.target) : r.target);
        v[9] = utf8(r.rawPrefix);
        v[10] = utf8(res != null && !passed ? res.reason() : r.reason);
        v[11] = utf8(res != null && !passed ? res.detail() : r.detail);
        int n = RawRecord.SCHEMA.size();
        if (passed) {
            v[n] = utf8(res.text());
            v[n + 1] = utf8(MinHasher.contentHash(res.text()));
            int[] sig = hasher.signature(res.text());
            v[n + 2] = UnsafeArrayData.fromPrimitiveArray(sig);
            v[n + 3] = UnsafeArrayData.fromPrimitiveArray(bandKeys(sig, bands, rows));
        }
        v[n + 4] = utf8(r.id != null && !r.id.isBlank() ? r.id.strip() : r.sourceFile + ":" + r.sourceOffset);
        v[n + 5] = utf8((r.published == null ? "~" : r.published) + "\u0001" + r.sourceFile + "\u0001" + zeroPadded(r.sourceOffset));
        return new GenericInternalRow(v);
    }

    /** {@code String.format("%020d", offset)} without the formatter, which was a tenth of the cleaning task. */
    static String zeroPadded(long offset) {
        if (offset < 0) return String.format("%020d", offset);
        String digits = Long.toString(offset);
        return "0".repeat(20 - digits.length()) + digits;
    }

    /** One key per LSH band: the band index mixed with its rows' minhashes. */
    public static long[] bandKeys(int[] sig, int bands, int rows) {
        long[] keys = new long[bands];
        for (int b = 0; b < bands; b++) {
            long h = 0x9E3779B97F4A7C15L * (b + 1);
            for (int i = b * rows; i < (b + 1) * rows; i++) h = (h ^ sig[i]) * 0x100000001B3L + 0x7F4A7C15L;
            keys[b] = h;
        }
        return keys;
    }
}
