package dev.zerospark.data.dedup;

import dev.zerospark.config.PrepareConfig;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * Exact and near-duplicate classification of clean records against each other and against the articles already
 * in the table. It works on key columns only (hashes, order keys, LSH band keys): article text never crosses a
 * shuffle, and only the few records involved in a duplicate are looked up again. The answer is the records that
 * are <em>not</em> new, each with a {@code status}:
 * <ul>
 *   <li>{@code present}: the table holds this very record (same hash and lineage): an idempotent rerun;</li>
 *   <li>{@code duplicate}: same content hash as an earlier record of this run or a different record in the table;</li>
 *   <li>{@code near_duplicate}: MinHash-estimated Jaccard &ge; threshold with an earlier new record or any table article.</li>
 * </ul>
 * Every other clean record is new. Up to {@code dedup.local_max_records} records (this run's plus the table's) the
 * same rules run on the driver over the collected key columns ({@link LocalDedup}): at that size the Spark plan
 * below is mostly the scheduling latency of its thirty-odd small jobs. {@code DedupTest} holds the two to the same answers.
 * <p>In the Spark plan a document is identified by {@code dk = xxhash64(content_hash)}, so copies of one text share their LSH band keys and collapse to one member of a band. Documents that share a band key are
 * candidate pairs; the signature agreement confirms them, and the later of a confirmed pair (table articles count
 * as earliest) is the near duplicate.
 */
public final class Dedup {
    private static final Logger LOG = LoggerFactory.getLogger(Dedup.class);

    /** What {@link #notNew} answers. */
    public static final StructType SCHEMA = new StructType()
            .add("source_file", DataTypes.StringType, false)
            .add("source_offset", DataTypes.LongType, false)
            .add("status", DataTypes.StringType, false);

    private static final StructType HASHES = new StructType().add("content_hash", DataTypes.StringType, false);

    private Dedup() {}

    /**
     * @param good      clean records ({@code CleanStage.SCHEMA}, reason null)
     * @param goodCount how many they are
     * @param existing  the articles table (content_hash, source_file, source_offset, minhash, lsh), or null
     * @return (source_file, source_offset, status) of every record that is not new; unpersist it when done (the
     *         Spark-job path persists it, the driver path returns a local relation)
     */
    public static Dataset<Row> notNew(Dataset<Row> good, long goodCount, Dataset<Row> existing, PrepareConfig.Dedup cfg) {
        int numHashes = cfg.bands() * cfg.rows();
        long tableCount = existing == null ? 0 : existing.count(); // Delta answers a bare count from its log
        if (goodCount + tableCount <= cfg.localMaxRecords()) {
            LOG.info("dedup on the driver: {} clean records, {} table articles", goodCount, tableCount);
            return onDriver(good, existing, cfg.near(), cfg.jaccardThreshold(), numHashes);
        }
        LOG.info("dedup with Spark jobs: {} clean records, {} table articles (local_max_records {})", goodCount, tableCount, cfg.localMaxRecords());
        return distributed(good, existing, cfg.jaccardThreshold(), cfg.near(), numHashes);
    }

    /** {@link LocalDedup} over the collected key columns; signatures are fetched for candidate pairs only. */
    static Dataset<Row> onDriver(Dataset<Row> good, Dataset<Row> existing, boolean near, double threshold, int numHashes) {
        Map<String, String> files = new HashMap<>(); // one String per file name, not one per record
        List<LocalDedup.Doc> run = new ArrayList<>();
        for (Row r : good.select("source_file", "source_offset", "content_hash", "order_key", "lsh").collectAsList()) {
            run.add(new LocalDedup.Doc(files.computeIfAbsent(r.getString(0), f -> f), r.getLong(1), r.getString(2), r.getString(3), longs(r.getList(4))));
        }
        List<LocalDedup.Stored> table = new ArrayList<>();
        if (existing != null) {
            for (Row r : existing.select("source_file", "source_offset", "content_hash", "lsh").collectAsList()) {
                table.add(new LocalDedup.Stored(files.computeIfAbsent(r.getString(0), f -> f), r.getLong(1), r.getString(2), longs(r.getList(3))));
            }
        }
        List<LocalDedup.Verdict> verdicts = LocalDedup.classify(run, table, near, threshold, numHashes, hashes -> {
            Map<String, int[]> sig = new HashMap<>();
            List<Row> keys = new ArrayList<>(hashes.size());
            for (String h : hashes) keys.add(RowFactory.create(h));
            Dataset<Row> wanted = broadcast(good.sparkSession().createDataFrame(keys, HASHES)); // a semi-join, not a huge IN list
            Dataset<Row> rows = good.join(wanted, "content_hash", "left_semi").select("content_hash", "minhash");
            if (existing != null) rows = rows.union(existing.join(wanted, "content_hash", "left_semi").select("content_hash", "minhash"));
            for (Row r : rows.collectAsList()) sig.putIfAbsent(r.getString(0), r.<Integer>getList(1).stream().mapToInt(Integer::intValue).toArray());
            return sig;
        });
        List<Row> rows = new ArrayList<>(verdicts.size());
        for (LocalDedup.Verdict v : verdicts) rows.add(RowFactory.create(v.file(), v.offset(), v.status()));
        return good.sparkSession().createDataFrame(rows, SCHEMA);
    }

    private static long[] longs(List<Long> values) {
        long[] out = new long[values.size()];
        for (int i = 0; i < out.length; i++) out[i] = values.get(i);
        return out;
    }

    /** The same classification as Spark jobs, for inputs too large to collect their keys. */
    static Dataset<Row> distributed(Dataset<Row> good, Dataset<Row> existing, double threshold, boolean near, int numHashes) {
        Dataset<Row> keys = good.select("source_file", "source_offset", "content_hash", "order_key");
        // Exact, within the run: hashes seen more than once (partial aggregation keeps this shuffle small) and their keeper.
        Dataset<Row> repeated = keys.groupBy("content_hash").agg(min("order_key").as("first_ord"), count(lit(1)).as("n"))
                .where(col("n").gt(1)).select(col("content_hash").as("r_hash"), col("first_ord"));
        Dataset<Row> exact = keys.join(broadcast(repeated), col("content_hash").equalTo(col("r_hash")))
                .where(col("order_key").notEqual(col("first_ord")))
                .select(col("source_file"), col("source_offset"), lit("duplicate").as("status"));
        if (existing != null) {
            // Against the table: the same record again is present, another copy of a table text is a duplicate.
            Dataset<Row> e = existing.select(col("content_hash").as("e_hash"), col("source_file").as("e_file"), col("source_offset").as("e_off"));
            Dataset<Row> inTable = keys.join(e, col("content_hash").equalTo(col("e_hash")))
                    .select(col("source_file"), col("source_offset"),
                            when(col("e_file").equalTo(col("source_file")).and(col("e_off").equalTo(col("source_offset"))), lit("present"))
                                    .otherwise(lit("duplicate")).as("status"));
            // "present" sorts after "duplicate": a record that is both keeps present.
            exact = exact.unionByName(inTable).groupBy("source_file", "source_offset").agg(max("status").as("status"));
        }
        exact = exact.persist(StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> nearRows = null;
        try {
            Dataset<Row> dropped = exact;
            if (near) {
                nearRows = nearDuplicates(good, exact, existing, threshold, numHashes);
                dropped = dropped.unionByName(nearRows);
            }
            dropped = dropped.persist(StorageLevel.MEMORY_AND_DISK());
            dropped.count(); // materialise before the inputs it was computed from go away
            return dropped;
        } finally {
            exact.unpersist();
            if (nearRows != null) nearRows.unpersist();
        }
    }

    /** (source_file, source_offset, 'near_duplicate') of the new-so-far records that resemble an earlier article; persisted. */
    private static Dataset<Row> nearDuplicates(Dataset<Row> good, Dataset<Row> exact, Dataset<Row> existing, double threshold, int numHashes) {
        Dataset<Row> docs = good.withColumn("dk", xxhash64(col("content_hash")));
        // Band keys already mix in the band index, so one key column serves all bands.
        Dataset<Row> bands = docs.select(col("dk"), explode(col("lsh")).as("key"));
        if (existing != null) bands = bands.unionByName(existing.select(xxhash64(col("content_hash")).as("dk"), explode(col("lsh")).as("key")));
        // Almost every band key belongs to one document. Find the shared keys with a fixed-width aggregate (Spark's
        // collect_set falls back to sorting past 128 keys), then gather the members of just those keys.
        Dataset<Row> shared = bands.groupBy("key").agg(min("dk").as("lo"), max("dk").as("hi")).where(col("lo").notEqual(col("hi"))).select("key");
        Dataset<Row> pairs = bands.join(broadcast(shared), "key").groupBy("key").agg(collect_set("dk").as("m"))
                .select(explode(col("m")).as("a"), col("m"))
                .select(col("a"), explode(col("m")).as("b"))
                .where(col("a").lt(col("b")))
                .distinct()
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            // Earliest order key and signature of just the documents in a candidate pair (table articles: order "").
            Dataset<Row> members = broadcast(pairs.select(col("a").as("dk")).union(pairs.select(col("b").as("dk"))).distinct());
            Dataset<Row> info = docs.join(members, "dk").select(col("dk"), col("order_key").as("ord"), col("minhash"));
            if (existing != null) {
                info = info.unionByName(existing.select(xxhash64(col("content_hash")).as("dk"), lit("").as("ord"), col("minhash")).join(members, "dk"));
            }
            info = info.groupBy("dk").agg(min("ord").as("ord"), first("minhash").as("minhash"));
            Dataset<Row> a = broadcast(info.select(col("dk").as("a"), col("ord").as("a_ord"), col("minhash").as("a_mh")));
            Dataset<Row> b = broadcast(info.select(col("dk").as("b"), col("ord").as("b_ord"), col("minhash").as("b_mh")));
            Column agreement = expr("size(filter(zip_with(a_mh, b_mh, (x, y) -> x = y), z -> z))").divide(numHashes);
            Dataset<Row> later = pairs.join(a, "a").join(b, "b")
                    .where(agreement.geq(threshold))
                    .select(when(col("a_ord").lt(col("b_ord")), col("b")).otherwise(col("a")).as("dk"),
                            when(col("a_ord").lt(col("b_ord")), col("b_ord")).otherwise(col("a_ord")).as("ord"))
                    .where(col("ord").notEqual(lit(""))) // both in the table: nothing to drop
                    .select("dk").distinct();
            Dataset<Row> result = docs.join(broadcast(later), "dk")
                    .select("source_file", "source_offset")
                    .join(broadcast(exact.select("source_file", "source_offset")), new String[] {"source_file", "source_offset"}, "left_anti")
                    .withColumn("status", lit("near_duplicate"))
                    .persist(StorageLevel.MEMORY_AND_DISK());
            result.count();
            return result;
        } finally {
            pairs.unpersist();
        }
    }
}
