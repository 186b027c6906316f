package dev.zerospark.data.ingest;

import dev.zerospark.table.Articles;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import static dev.zerospark.spark.InternalRows.string;

/**
 * One input record as ingested, before cleaning: the article fields (any may be null) plus lineage, or a
 * {@code reason} saying why it cannot be an article. Built by the format parsers (or read from a Parquet row) and handed to the cleaner.
 */
public final class RawRecord {
    /** The fields that pass into {@code articles} carry its column names. */
    public static final StructType SCHEMA = new StructType()
            .add(Articles.SOURCE_FILE, DataTypes.StringType, false)
            .add(Articles.SOURCE_OFFSET, DataTypes.LongType, false)
            .add(Articles.RUN_ID, DataTypes.StringType, false)
            .add("id", DataTypes.StringType)
            .add(Articles.TITLE, DataTypes.StringType)
            .add("body", DataTypes.StringType)
            .add(Articles.PUBLISHED, DataTypes.StringType)
            .add(Articles.URL, DataTypes.StringType)
            .add(Articles.TARGET, DataTypes.StringType)
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

    /** A record from an internal row of {@link #SCHEMA} (the Parquet reader's output); the run id column is not kept. */
    public static RawRecord of(InternalRow row) {
        RawRecord r = new RawRecord(row.getUTF8String(0).toString(), row.getLong(1));
        r.id = string(row, 3);
        r.title = string(row, 4);
        r.body = string(row, 5);
        r.published = string(row, 6);
        r.url = string(row, 7);
        r.target = string(row, 8);
        r.rawPrefix = string(row, 9);
        r.reason = string(row, 10);
        r.detail = string(row, 11);
        return r;
    }

}
