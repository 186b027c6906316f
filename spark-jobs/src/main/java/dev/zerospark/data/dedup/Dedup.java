package dev.zerospark.data.dedup;

import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.ingest.Reasons;
import dev.zerospark.table.Articles;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.lag;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.size;
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
 * as earliest) is the near duplicate. A bucket of more than {@code dedup.max_bucket_size} documents would give
 * quadratically many pairs; its members are paired linearly instead (with the bucket's earliest member, and with
 * their neighbour in band-key order), and counted under {@link Reasons#LSH_BUCKET_CAPPED}: see
 * {@link LocalDedup#candidatePairs}, which both paths follow.
 */
public final class Dedup {
    private static final Logger LOG = LoggerFactory.getLogger(Dedup.class);

    /** What {@link #notNew} answers. */
    public static final StructType SCHEMA = new StructType()
            .add(Articles.SOURCE_FILE, DataTypes.StringType, false)
            .add(Articles.SOURCE_OFFSET, DataTypes.LongType, false)
            .add("status", DataTypes.StringType, false);

    private static final StructType HASHES = new StructType().add(Articles.CONTENT_HASH, DataTypes.StringType, false);

    private Dedup() {}

    /**
     * What {@link #notNew} found: the records that are not new ({@link #SCHEMA}; unpersist it when done), and the
     * dedup fallbacks taken, by reason ({@link Reasons#LSH_BUCKET_CAPPED}: documents in an oversized LSH bucket).
     */
    public record Outcome(Dataset<Row> notNew, Map<String, Long> fallbacks) {}

    /**
     * @param good      clean records ({@code CleanStage.SCHEMA}, reason null)
     * @param goodCount how many they are
     * @param existing  the articles table (content_hash, source_file, source_offset, minhash, lsh), or null
     * @return (source_file, source_offset, status) of every record that is not new; unpersist it when done (the
     *         Spark-job path persists it, the driver path returns a local relation); and the fallbacks taken
     */
    public static Outcome notNew(Dataset<Row> good, long goodCount, Dataset<Row> existing, PrepareConfig.Dedup cfg) {
        int numHashes = cfg.bands() * cfg.rows();
        long tableCount = existing == null ? 0 : existing.count(); // Delta answers a bare count from its log
        if (goodCount + tableCount <= cfg.localMaxRecords()) {
            LOG.info("dedup on the driver: {} clean records, {} table articles", goodCount, tableCount);
            return onDriver(good, existing, cfg.near(), cfg.jaccardThreshold(), numHashes, cfg.maxBucketSize());
        }
        LOG.info("dedup with Spark jobs: {} clean records, {} table articles (local_max_records {})", goodCount, tableCount, cfg.localMaxRecords());
        return distributed(good, existing, cfg.jaccardThreshold(), cfg.near(), numHashes, cfg.maxBucketSize());
    }

    /** {@link LocalDedup} over the collected key columns; signatures are fetched for candidate pairs only. */
    static Outcome onDriver(Dataset<Row> good, Dataset<Row> existing, boolean near, double threshold, int numHashes, int maxBucket) {
        Map<String, String> files = new HashMap<>(); // one String per file name, not one per record
        List<LocalDedup.Doc> run = new ArrayList<>();
        for (Row r : good.select(Articles.SOURCE_FILE, Articles.SOURCE_OFFSET, Articles.CONTENT_HASH, "order_key", Articles.LSH).collectAsList()) {
            run.add(new LocalDedup.Doc(files.computeIfAbsent(r.getString(0), f -> f), r.getLong(1), r.getString(2), r.getString(3), longs(r.getList(4))));
        }
        List<LocalDedup.Stored> table = new ArrayList<>();
        if (existing != null) {
            for (Row r : existing.select(Articles.SOURCE_FILE, Articles.SOURCE_OFFSET, Articles.CONTENT_HASH, Articles.LSH).collectAsList()) {
                table.add(new LocalDedup.Stored(files.computeIfAbsent(r.getString(0), f -> f), r.getLong(1), r.getString(2), longs(r.getList(3))));
            }
        }
        Map<String, Long> fallbacks = new TreeMap<>();
        List<LocalDedup.Verdict> verdicts = LocalDedup.classify(run, table, near, threshold, numHashes, maxBucket, fallbacks, hashes -> {
            Map<String, int[]> sig = new HashMap<>();
            List<Row> keys = new ArrayList<>(hashes.size());
            for (String h : hashes) keys.add(RowFactory.create(h));
            Dataset<Row> wanted = broadcast(good.sparkSession().createDataFrame(keys, HASHES)); // a semi-join, not a huge IN list
            Dataset<Row> rows = good.join(wanted, Articles.CONTENT_HASH, "left_semi").select(Articles.CONTENT_HASH, Articles.MINHASH);
            if (existing != null) rows = rows.union(existing.join(wanted, Articles.CONTENT_HASH, "left_semi").select(Articles.CONTENT_HASH, Articles.MINHASH));
            for (Row r : rows.collectAsList()) sig.putIfAbsent(r.getString(0), r.<Integer>getList(1).stream().mapToInt(Integer::intValue).toArray());
            return sig;
        });
        List<Row> rows = new ArrayList<>(verdicts.size());
        for (LocalDedup.Verdict v : verdicts) rows.add(RowFactory.create(v.file(), v.offset(), v.status()));
        return new Outcome(good.sparkSession().createDataFrame(rows, SCHEMA), fallbacks);
    }

    private static long[] longs(List<Long> values) {
        long[] out = new long[values.size()];
        for (int i = 0; i < out.length; i++) out[i] = values.get(i);
        return out;
    }

    /**
     * The same classification as Spark jobs, for inputs too large to collect their keys. No join forces a broadcast:
     * the repeated hashes, shared band keys and candidate pairs all grow with the number of duplicates, so only
     * Spark's size estimates (autoBroadcastJoinThreshold, AQE) can tell when broadcasting one of them is safe.
     */
    static Outcome distributed(Dataset<Row> good, Dataset<Row> existing, double threshold, boolean near, int numHashes, int maxBucket) {
        Dataset<Row> keys = good.select(Articles.SOURCE_FILE, Articles.SOURCE_OFFSET, Articles.CONTENT_HASH, "order_key");
        // Exact, within the run: hashes seen more than once (partial aggregation keeps this shuffle small) and their keeper.
        Dataset<Row> repeated = keys.groupBy(Articles.CONTENT_HASH).agg(min("order_key").as("first_ord"), count(lit(1)).as("n"))
                .where(col("n").gt(1)).select(col(Articles.CONTENT_HASH).as("r_hash"), col("first_ord"));
        Dataset<Row> exact = keys.join(repeated, col(Articles.CONTENT_HASH).equalTo(col("r_hash")))
                .where(col("order_key").notEqual(col("first_ord")))
                .select(col(Articles.SOURCE_FILE), col(Articles.SOURCE_OFFSET), lit("duplicate").as("status"));
        if (existing != null) {
            // Against the table: the same record again is present, another copy of a table text is a duplicate.
            Dataset<Row> e = existing.select(col(Articles.CONTENT_HASH).as("e_hash"), col(Articles.SOURCE_FILE).as("e_file"), col(Articles.SOURCE_OFFSET).as("e_off"));
            Dataset<Row> inTable = keys.join(e, col(Articles.CONTENT_HASH).equalTo(col("e_hash")))
                    .select(col(Articles.SOURCE_FILE), col(Articles.SOURCE_OFFSET),
                            when(col("e_file").equalTo(col(Articles.SOURCE_FILE)).and(col("e_off").equalTo(col(Articles.SOURCE_OFFSET))), lit("present"))
                                    .otherwise(lit("duplicate")).as("status"));
            // "present" sorts after "duplicate": a record that is both keeps present.
            exact = exact.unionByName(inTable).groupBy(Articles.SOURCE_FILE, Articles.SOURCE_OFFSET).agg(max("status").as("status"));
        }
        exact = exact.persist(StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> nearRows = null;
        Map<String, Long> fallbacks = new TreeMap<>();
        try {
            Dataset<Row> dropped = exact;
            if (near) {
                nearRows = nearDuplicates(good, exact, existing, threshold, numHashes, maxBucket, fallbacks);
                dropped = dropped.unionByName(nearRows);
            }
            dropped = dropped.persist(StorageLevel.MEMORY_AND_DISK());
            dropped.count(); // materialise before the inputs it was computed from go away
            return new Outcome(dropped, fallbacks);
        } finally {
            exact.unpersist();
            if (nearRows != null) nearRows.unpersist();
        }
    }

    /**
     * Candidate pairs (a &lt; b) of the oversized buckets' members ({@code key, dk}), linearly many: each member with
     * the bucket's earliest (order key, then content hash; table articles first) and with the member before it in
     * band-key order. The same pairs as {@link LocalDedup#candidatePairs} makes.
     */
    private static Dataset<Row> cappedPairs(Dataset<Row> docs, Dataset<Row> existing, Dataset<Row> large) {
        Dataset<Row> all = docs.select(col("dk"), col("order_key").as("ord"), col(Articles.CONTENT_HASH).as("h"), col(Articles.LSH));
        if (existing != null) all = all.unionByName(existing.select(xxhash64(col(Articles.CONTENT_HASH)).as("dk"), lit("").as("ord"), col(Articles.CONTENT_HASH).as("h"), col(Articles.LSH)));
        Dataset<Row> info = all.join(large.select("dk").distinct(), "dk")
                .groupBy("dk").agg(min("ord").as("ord"), first("h").as("h"), first(Articles.LSH).as(Articles.LSH));
        WindowSpec byOrder = Window.partitionBy("key").orderBy(col("ord"), col("h"));
        WindowSpec byKeys = Window.partitionBy("key").orderBy(col(Articles.LSH), col("h"));
        Dataset<Row> m = large.join(info, "dk")
                .select(col("dk"), first("dk").over(byOrder).as("head"), lag("dk", 1).over(byKeys).as("prev"));
        Dataset<Row> star = m.where(col("head").notEqual(col("dk"))).select(least(col("head"), col("dk")).as("a"), greatest(col("head"), col("dk")).as("b"));
        Dataset<Row> chain = m.where(col("prev").isNotNull()).select(least(col("prev"), col("dk")).as("a"), greatest(col("prev"), col("dk")).as("b"));
        return star.unionByName(chain);
    }

    /** (source_file, source_offset, 'near_duplicate') of the new-so-far records that resemble an earlier article; persisted. */
    private static Dataset<Row> nearDuplicates(Dataset<Row> good, Dataset<Row> exact, Dataset<Row> existing, double threshold, int numHashes,
                                               int maxBucket, Map<String, Long> fallbacks) {
        Dataset<Row> docs = good.withColumn("dk", xxhash64(col(Articles.CONTENT_HASH)));
        // Band keys already mix in the band index, so one key column serves all bands.
        Dataset<Row> bands = docs.select(col("dk"), explode(col(Articles.LSH)).as("key"));
        if (existing != null) bands = bands.unionByName(existing.select(xxhash64(col(Articles.CONTENT_HASH)).as("dk"), explode(col(Articles.LSH)).as("key")));
        // Almost every band key belongs to one document. Find the shared keys with a fixed-width aggregate (Spark's
        // collect_set falls back to sorting past 128 keys), then gather the members of just those keys.
        Dataset<Row> shared = bands.groupBy("key").agg(min("dk").as("lo"), max("dk").as("hi")).where(col("lo").notEqual(col("hi"))).select("key");
        Dataset<Row> buckets = bands.join(shared, "key").groupBy("key").agg(collect_set("dk").as("m"))
                .persist(StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> pairs;
        try {
            Dataset<Row> small = buckets.where(size(col("m")).leq(maxBucket))
                    .select(explode(col("m")).as("a"), col("m"))
                    .select(col("a"), explode(col("m")).as("b"))
                    .where(col("a").lt(col("b")));
            Dataset<Row> large = buckets.where(size(col("m")).gt(maxBucket)).select(col("key"), explode(col("m")).as("dk"));
            long capped = large.select("dk").distinct().count();
            if (capped > 0) {
                fallbacks.merge(Reasons.LSH_BUCKET_CAPPED, capped, Long::sum);
                small = small.unionByName(cappedPairs(docs, existing, large));
            }
            pairs = small.distinct().persist(StorageLevel.MEMORY_AND_DISK());
            pairs.count();
        } finally {
            buckets.unpersist();
        }
        try {
            // Earliest order key and signature of just the documents in a candidate pair (table articles: order "").
            Dataset<Row> members = pairs.select(col("a").as("dk")).union(pairs.select(col("b").as("dk"))).distinct();
            Dataset<Row> info = docs.join(members, "dk").select(col("dk"), col("order_key").as("ord"), col(Articles.MINHASH));
            if (existing != null) {
                info = info.unionByName(existing.select(xxhash64(col(Articles.CONTENT_HASH)).as("dk"), lit("").as("ord"), col(Articles.MINHASH)).join(members, "dk"));
            }
            info = info.groupBy("dk").agg(min("ord").as("ord"), first(Articles.MINHASH).as(Articles.MINHASH));
            Dataset<Row> a = info.select(col("dk").as("a"), col("ord").as("a_ord"), col(Articles.MINHASH).as("a_mh"));
            Dataset<Row> b = info.select(col("dk").as("b"), col("ord").as("b_ord"), col(Articles.MINHASH).as("b_mh"));
            Column agreement = expr("size(filter(zip_with(a_mh, b_mh, (x, y) -> x = y), z -> z))").divide(numHashes);
            Dataset<Row> later = pairs.join(a, "a").join(b, "b")
                    .where(agreement.geq(threshold))
                    .select(when(col("a_ord").lt(col("b_ord")), col("b")).otherwise(col("a")).as("dk"),
                            when(col("a_ord").lt(col("b_ord")), col("b_ord")).otherwise(col("a_ord")).as("ord"))
                    .where(col("ord").notEqual(lit(""))) // both in the table: nothing to drop
                    .select("dk").distinct();
            Dataset<Row> result = docs.join(later, "dk")
                    .select(Articles.SOURCE_FILE, Articles.SOURCE_OFFSET)
                    .join(exact.select(Articles.SOURCE_FILE, Articles.SOURCE_OFFSET), new String[] {Articles.SOURCE_FILE, Articles.SOURCE_OFFSET}, "left_anti")
                    .withColumn("status", lit("near_duplicate"))
                    .persist(StorageLevel.MEMORY_AND_DISK());
            result.count();
            return result;
        } finally {
            pairs.unpersist();
        }
    }
}
