package dev.zerospark.data.clean;

import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.dedup.MinHasher;
import dev.zerospark.data.ingest.Ingest;
import dev.zerospark.data.ingest.RawRecord;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;


/**
 * Raw records to cleaned records: {@link RawRecord#SCHEMA} plus the clean {@code text}, its {@code content_hash},
 * MinHash signature and LSH band keys, an {@code article_id} (the input id, else file:offset) and an
 * {@code order_key} that sorts earliest first (published date, then file, then offset). Records that fail
 * cleaning keep their {@code reason}; records already rejected at ingest pass through unchanged. The raw
 * {@code body} is dropped from records that pass (null), since {@code text} supersedes it.
 */
public final class CleanStage {
    private CleanStage() {}

    public static final StructType SCHEMA = RawRecord.SCHEMA
            .add("text", DataTypes.StringType)
            .add("content_hash", DataTypes.StringType)
            .add("minhash", DataTypes.createArrayType(DataTypes.IntegerType, false))
            .add("lsh", DataTypes.createArrayType(DataTypes.LongType, false))
            .add("article_id", DataTypes.StringType)
            .add("order_key", DataTypes.StringType);

    /** Ingest and clean in one pass over the input: raw records are cleaned in the task that parses them. */
    public static Dataset<Row> read(SparkSession spark, PrepareConfig cfg, String runId) {
        PrepareConfig.Dedup d = cfg.dedup();
        TextCleaner cleaner = new TextCleaner(cfg.clean());
        MinHasher hasher = new MinHasher(d.shingleSize(), d.bands() * d.rows());
        int bands = d.bands();
        int rows = d.rows();
        Ingest.RecordFn perRecord = (rec, run) -> cleanRow(rec.toRow(run), cleaner, hasher, bands, rows);
        MapFunction<Row, Row> perRow = r -> cleanRow(r, cleaner, hasher, bands, rows);
        return Ingest.read(spark, cfg, runId, SCHEMA, perRecord, perRow);
    }

    static Row cleanRow(Row r, TextCleaner cleaner, MinHasher hasher, int bands, int rows) {
        Object[] v = new Object[SCHEMA.size()];
        for (int i = 0; i < r.length(); i++) v[i] = r.get(i);
        int n = r.length();
        String file = r.getString(0);
        long offset = r.getLong(1);
        String id = r.getString(3);
        v[n + 4] = id != null && !id.isBlank() ? id.strip() : file + ":" + offset;
        String published = r.getString(6);
        v[n + 5] = (published == null ? "~" : published) + "\u0001" + file + "\u0001" + zeroPadded(offset);
        if (r.isNullAt(10)) {
            TextCleaner.Result res = cleaner.clean(r.getString(5));
            if (res.reason() != null) {
                v[10] = res.reason();
                v[11] = res.detail();
            } else {
                v[5] = null; // the raw body: the clean text replaces it, and the cache need not hold both
                v[4] = cleaner.cleanShort(r.getString(4));
                v[8] = cleaner.cleanShort(r.getString(8));
                v[n] = res.text();
                v[n + 1] = MinHasher.contentHash(res.text());
                int[] sig = hasher.signature(res.text());
                v[n + 2] = sig; // primitive arrays: Spark copies them without boxing each element
                v[n + 3] = bandKeys(sig, bands, rows);
            }
        }
        return RowFactory.create(v);
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
