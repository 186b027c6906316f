package dev.zerospark.data.ingest;

import dev.zerospark.config.PrepareConfig;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.to_json;

/**
 * Reads the input in any supported format into rows of {@link RawRecord#SCHEMA}. Byte formats (JSONL, CSV, text,
 * WARC) are read with Spark's {@code binaryFile} source so that no decoder runs before the UTF-8 check; one file
 * is parsed by one task, so a file must fit in a task's memory (Spark's binaryFile limit is 2 GiB).
 */
public final class Ingest {
    private Ingest() {}

    public static Dataset<Row> read(SparkSession spark, PrepareConfig cfg, String runId) {
        int maxBytes = cfg.clean().maxRecordBytes();
        int prefix = cfg.clean().rawPrefixChars();
        if (cfg.format().equals("parquet")) return parquet(spark, cfg, runId, prefix);

        LineParsers lines = new LineParsers(cfg.fields(), maxBytes, prefix);
        WarcParser warc = new WarcParser(maxBytes, prefix);
        String format = cfg.format();
        var reader = spark.read().format("binaryFile");
        if (format.equals("text")) reader = reader.option("pathGlobFilter", "*.txt").option("recursiveFileLookup", "true");
        Dataset<Row> files = reader.load(cfg.input()).select("path", "content");
        FlatMapFunction<Row, Row> parse = file -> {
            String path = file.getString(0);
            byte[] bytes = (byte[]) file.get(1);
            List<RawRecord> recs = switch (format) {
                case "jsonl" -> lines.jsonl(path, bytes);
                case "csv" -> lines.csv(path, bytes);
                case "text" -> lines.text(path, bytes);
                case "warc" -> warc.parse(path, bytes);
                default -> throw new IllegalStateException("unhandled format " + format);
            };
            Iterator<RawRecord> it = recs.iterator();
            return new Iterator<>() {
                public boolean hasNext() {
                    return it.hasNext();
                }

                public Row next() {
                    return it.next().toRow(runId);
                }
            };
        };
        return files.flatMap(parse, Encoders.row(RawRecord.SCHEMA));
    }

    /** Parquet has no byte-level failure modes here; lineage is the file path and Spark's row index. */
    private static Dataset<Row> parquet(SparkSession spark, PrepareConfig cfg, String runId, int prefix) {
        Dataset<Row> df = spark.read().parquet(cfg.input());
        List<String> cols = Arrays.asList(df.columns());
        PrepareConfig.Fields f = cfg.fields();
        return df.select(
                col("_metadata.file_path").as("source_file"),
                col("_metadata.row_index").as("source_offset"),
                lit(runId).as("run_id"),
                field(cols, f.id()).as("id"),
                field(cols, f.title()).as("title"),
                field(cols, f.body()).as("body"),
                field(cols, f.published()).as("published"),
                field(cols, f.url()).as("url"),
                field(cols, f.target()).as("target"),
                substring(to_json(struct(cols.stream().map(c -> col("`" + c + "`")).toArray(Column[]::new))), 1, prefix).as("raw_prefix"),
                lit(null).cast("string").as("reason"),
                lit(null).cast("string").as("detail"));
    }

    private static Column field(List<String> cols, String name) {
        return cols.contains(name) ? col("`" + name + "`").cast("string") : lit(null).cast("string");
    }
}
