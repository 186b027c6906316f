package dev.zerospark.data.ingest;

import dev.zerospark.config.PrepareConfig;
import dev.zerospark.spark.InternalRows;
import dev.zerospark.spark.TaskHadoopConf;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.TaskCompletionListener;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.to_json;

/**
 * Reads the input in any supported format and hands each record, as a {@link RawRecord}, to a per-record function
 * in the same task (the cleaner), so that raw rows are never materialised or shuffled. Byte formats (JSONL, CSV,
 * text, WARC) are read as bytes through Hadoop's FileSystem so that no decoder runs before the UTF-8 check. JSONL
 * files are cut into {@link InputSplit byte ranges}; CSV, text and WARC are read a whole file per split (a CSV
 * field may hold newlines, and WARC has no record marker to resynchronise on), as a stream parsed while the task
 * consumes its rows: no file is ever held whole in memory, only one record at a time, each up to
 * {@code max_record_bytes}. Splits are {@link InputSplit#pack packed} into tasks of about {@code split_mb}, so an
 * archive of one small file per article runs a task per batch of files, not per file.
 */
public final class Ingest {
    private static final Logger LOG = LoggerFactory.getLogger(Ingest.class);

    private Ingest() {}

    /**
     * What happens to each raw record inside the reading task. Its rows must match {@code schema} and be in Spark's
     * internal form, each its own object: they go into the DataFrame without a conversion pass.
     */
    public interface RecordFn extends java.io.Serializable {
        InternalRow apply(RawRecord record, String runId);
    }

    /** @param perRecord turns raw records into rows of {@code schema} */
    public static Dataset<Row> read(SparkSession spark, PrepareConfig cfg, String runId, StructType schema, RecordFn perRecord) {
        if (cfg.format().equals("parquet")) {
            int cap = cfg.clean().maxRecordBytes();
            JavaRDD<InternalRow> rows = InternalRows.of(parquet(spark, cfg, runId)).map(r -> perRecord.apply(parquetRecord(r, cap), runId));
            return InternalRows.frame(spark, rows.rdd(), schema);
        }
        List<InputSplit> splits = splits(spark, cfg);
        if (splits.isEmpty()) return spark.createDataFrame(List.of(), schema);

        int maxBytes = cfg.clean().maxRecordBytes();
        LineParsers lines = new LineParsers(cfg.fields(), maxBytes, cfg.clean().rawPrefixChars());
        WarcParser warc = new WarcParser(maxBytes, cfg.clean().rawPrefixChars());
        String format = cfg.format();
        int prefixChars = cfg.clean().rawPrefixChars();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        // Only the keys of the input's filesystem travel; the rest of the driver's configuration (other stores'
        // credentials) stays on the driver.
        Broadcast<TaskHadoopConf> hadoopConf = jsc.broadcast(TaskHadoopConf.forLocations(
                spark.sparkContext().hadoopConfiguration(), splits.stream().map(InputSplit::path).distinct().toList()));
        List<List<InputSplit>> tasks = tasks(spark, cfg, splits);
        LOG.info("prepare input {}: {} splits of {} files in {} tasks", cfg.input(), splits.size(),
                splits.stream().map(InputSplit::path).distinct().count(), tasks.size());
        FlatMapFunction<List<InputSplit>, InternalRow> parse = task -> {
            Configuration conf = hadoopConf.value().toConfiguration(); // once a task, not once a file
            SplitRecords recs = new SplitRecords(task, split -> open(split, conf, format, lines, warc, maxBytes, prefixChars));
            TaskContext.get().addTaskCompletionListener((TaskCompletionListener) ctx -> recs.close());
            return new Iterator<InternalRow>() {
                @Override
                public boolean hasNext() {
                    return recs.hasNext();
                }

                @Override
                public InternalRow next() {
                    return perRecord.apply(recs.next(), runId);
                }
            };
        };
        // One packed task per partition, in path and offset order: the partitions of everything downstream follow the input.
        return InternalRows.frame(spark, jsc.parallelize(tasks, tasks.size()).flatMap(parse).rdd(), schema);
    }

    /** One split's records: read whole for a JSONL range, else streamed as the task consumes them. */
    private static SplitRecords.Opened open(InputSplit split, Configuration conf, String format, LineParsers lines, WarcParser warc,
                                            int maxBytes, int prefixChars) throws IOException {
        Path path = new Path(split.path());
        FileSystem fs = path.getFileSystem(conf);
        if (format.equals("jsonl")) { // a byte range of at most split_mb (plus one capped line)
            try (FSDataInputStream in = fs.open(path)) {
                return new SplitRecords.Opened(lines.jsonl(split.path(), LineRange.read(in, split, maxBytes)).iterator(), null);
            }
        }
        // The other formats are parsed as the task consumes the rows, a record at a time, so the stream stays open
        // until the file's records run out (or the task ends).
        FSDataInputStream in = fs.open(path);
        try {
            Iterator<RawRecord> recs = switch (format) {
                case "csv" -> lines.csv(split.path(), in);
                case "text" -> lines.text(split.path(), in).iterator();
                case "warc" -> warc.parse(split.path(), in, at -> prefixAt(in, at, prefixChars));
                default -> throw new IllegalStateException("unhandled format " + format);
            };
            return new SplitRecords.Opened(recs, in);
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /**
     * The splits {@link InputSplit#pack packed} into tasks of up to {@code split_mb}, each file also costing Spark's
     * {@code spark.sql.files.openCostInBytes} (4 MB by default: 8 tiny files a task at the default split_mb).
     */
    static List<List<InputSplit>> tasks(SparkSession spark, PrepareConfig cfg, List<InputSplit> splits) {
        return InputSplit.pack(splits, (long) cfg.splitMb() << 20, spark.sessionState().conf().filesOpenCostInBytes());
    }

    /**
     * The input's files, cut into splits, in path order. A glob is expanded, a folder is listed recursively, and
     * hidden files and folders ({@code _*}, {@code .*}, and {@code *._COPYING_} uploads in progress) are skipped,
     * as Spark's file sources do, also among a glob's matches; only a file named outright is read whatever its
     * name. Text input keeps {@code .txt} files only. Listed on the driver through Hadoop's FileSystem: a Spark
     * file source costs seconds of planning and a job for what is one listing call per folder.
     */
    static List<InputSplit> splits(SparkSession spark, PrepareConfig cfg) {
        Path pattern = new Path(cfg.input());
        boolean glob = cfg.input().chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
        boolean text = cfg.format().equals("text");
        List<FileStatus> files = new ArrayList<>();
        try {
            FileSystem fs = pattern.getFileSystem(spark.sessionState().newHadoopConf());
            FileStatus[] matches = fs.globStatus(pattern);
            if (matches == null || matches.length == 0) throw InputNotFoundException.noMatch(cfg.input());
            for (FileStatus m : matches) {
                if (glob && hiddenName(m.getPath().getName())) continue;
                if (m.isFile()) {
                    if (!text || m.getPath().getName().endsWith(".txt")) files.add(m);
                    continue;
                }
                RemoteIterator<LocatedFileStatus> it = fs.listFiles(m.getPath(), true);
                while (it.hasNext()) {
                    LocatedFileStatus f = it.next();
                    if (!hidden(m.getPath(), f.getPath()) && (!text || f.getPath().getName().endsWith(".txt"))) files.add(f);
                }
            }
            if (files.isEmpty()) throw InputNotFoundException.noFiles(cfg.input(), cfg.format());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list prepare input " + cfg.input(), e);
        }
        files.sort(Comparator.comparing(f -> f.getPath().toString()));
        List<InputSplit> out = new ArrayList<>();
        for (FileStatus f : files) {
            out.addAll(InputSplit.of(f.getPath().toString(), f.getLen(), cfg.format().equals("jsonl"), (long) cfg.splitMb() << 20));
        }
        return out;
    }

    /** Whether a path below {@code root} has a hidden name on the way down. */
    static boolean hidden(Path root, Path file) {
        int depth = root.depth();
        for (Path p = file; p != null && p.depth() > depth; p = p.getParent()) {
            if (hiddenName(p.getName())) return true;
        }
        return false;
    }

    /** Spark's rule (InMemoryFileIndex): {@code _*} and {@code .*} are metadata or temporary, as are uploads in progress. */
    static boolean hiddenName(String name) {
        return name.startsWith("_") || name.startsWith(".") || name.endsWith("._COPYING_");
    }

    /** Up to {@code chars} characters of the file from {@code offset}, by a positioned read that leaves the stream where it is. */
    private static String prefixAt(FSDataInputStream in, long offset, int chars) throws IOException {
        byte[] b = new byte[chars * 4];
        int n = 0;
        while (n < b.length) {
            int r = in.read(offset + n, b, n, b.length - n);
            if (r < 0) break;
            n += r;
        }
        return Utf8.prefix(b, 0, n, chars);
    }

    /** Parquet has no byte-level failure modes here; lineage is the file path and Spark's row index. */
    private static Dataset<Row> parquet(SparkSession spark, PrepareConfig cfg, String runId) {
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
                substring(to_json(struct(cols.stream().map(c -> col("`" + c + "`")).toArray(Column[]::new))), 1, cfg.clean().rawPrefixChars()).as("raw_prefix"),
                lit(null).cast("string").as("reason"),
                lit(null).cast("string").as("detail"));
    }

    /**
     * A Parquet row as a raw record, under the same byte cap as a record of the byte formats: the article fields
     * together (in UTF-8, as stored) may hold at most {@code maxBytes}, else the record is quarantined as too long
     * before any of it is decoded or cleaned.
     */
    static RawRecord parquetRecord(InternalRow row, int maxBytes) {
        long bytes = 0;
        for (int i = 3; i <= 8; i++) if (!row.isNullAt(i)) bytes += row.getUTF8String(i).numBytes();
        if (bytes <= maxBytes) return RawRecord.of(row);
        return RawRecord.rejected(row.getUTF8String(0).toString(), row.getLong(1), Reasons.TOO_LONG,
                bytes + " bytes of article fields > max_record_bytes " + maxBytes, InternalRows.string(row, 9));
    }

    private static Column field(List<String> cols, String name) {
        return cols.contains(name) ? col("`" + name + "`").cast("string") : lit(null).cast("string");
    }
}
