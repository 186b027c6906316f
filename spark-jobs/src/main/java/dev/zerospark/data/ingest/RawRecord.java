package dev.zerospark.data.ingest;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * One input record as ingested, before cleaning: the article fields (any may be null) plus lineage, or a
 * {@code reason} saying why it cannot be an article. Built by the format parsers, turned into a Spark row.
 */
public final class RawRecord {
    public static final StructType SCHEMA = new StructType()
            .add("source_file", DataTypes.StringType, false)
            .add("source_offset", DataTypes.LongType, false)
            .add("run_id", DataTypes.StringType, false)
            .add("id", DataTypes.StringType)
            .add("title", DataTypes.StringType)
            .add("body", DataTypes.StringType)
            .add("published", DataTypes.StringType)
            .add("url", DataTypes.StringType)
            .add("target", DataTypes.StringType)
            .add("raw_prefix", DataTypes.StringType)
            .add("reason", DataTypes.StringType)
            .add("detail", DataTypes.StringType);

    public final String sourceFile;
    /** Line number (1-based) for JSONL and CSV, byte offset for WARC, row index for Parquet, 0 for text files. */
    public final long sourceOffset;
    public String id;
    public String title;
    public String body;
    public String published;
    public String url;
    public String target;
    public String rawPrefix;
    public String reason;
    public String detail;

    public RawRecord(String sourceFile, long sourceOffset) {
        this.sourceFile = sourceFile;
        this.sourceOffset = sourceOffset;
    }

    public static RawRecord rejected(String sourceFile, long offset, String reason, String detail, String rawPrefix) {
        RawRecord r = new RawRecord(sourceFile, offset);
        r.reason = reason;
        r.detail = detail;
        r.rawPrefix = rawPrefix;
        return r;
    }

    public Row toRow(String runId) {
        return RowFactory.create(sourceFile, sourceOffset, runId, id, title, body, published, url, target,
                rawPrefix, reason, detail);
    }
}
