package dev.zerospark.data.dedup;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.when;

/**
 * Exact and near-duplicate classification of clean records against each other and against the articles already
 * in the table. Each clean record gets a {@code status}:
 * <ul>
 *   <li>{@code present}: the table holds this very record (same hash and lineage) — an idempotent rerun;</li>
 *   <li>{@code duplicate}: same content hash as an earlier record of this run or a different record in the table;</li>
 *   <li>{@code near_duplicate}: MinHash-estimated Jaccard &ge; threshold with an earlier new record or any table article;</li>
 *   <li>{@code new}: an article to add.</li>
 * </ul>
 * Candidates come from LSH banding (equal band key in any band); the signature agreement then confirms them.
 */
public final class Dedup {
    private Dedup() {}

    /**
     * @param good     clean records ({@code CleanStage.SCHEMA}, reason null)
     * @param existing the articles table (content_hash, source_file, source_offset, minhash, lsh), or null
     */
    public static Dataset<Row> classify(Dataset<Row> good, Dataset<Row> existing, double threshold, boolean near, int numHashes) {
        Dataset<Row> ranked = good.withColumn("rn", row_number().over(Window.partitionBy("content_hash").orderBy("order_key")));
        Column status;
        Dataset<Row> joined;
        if (existing != null) {
            Dataset<Row> e = existing.select(col("content_hash").as("e_hash"), col("source_file").as("e_file"), col("source_offset").as("e_off"));
            joined = ranked.join(e, ranked.col("content_hash").equalTo(e.col("e_hash")), "left");
            status = when(col("e_hash").isNotNull().and(col("e_file").equalTo(col("source_file"))).and(col("e_off").equalTo(col("source_offset"))), lit("present"))
                    .when(col("e_hash").isNotNull(), lit("duplicate"))
                    .when(col("rn").gt(1), lit("duplicate"))
                    .otherwise(lit("candidate"));
        } else {
            joined = ranked;
            status = when(col("rn").gt(1), lit("duplicate")).otherwise(lit("candidate"));
        }
        Dataset<Row> exact = joined.withColumn("status", status).drop("rn", "e_hash", "e_file", "e_off");
        if (!near) return exact.withColumn("status", when(col("status").equalTo("candidate"), lit("new")).otherwise(col("status")));

        Dataset<Row> candidates = exact.filter("status = 'candidate'");
        Dataset<Row> left = candidates.select(col("content_hash").as("c_hash"), col("order_key").as("c_ord"), col("minhash").as("c_mh"),
                posexplode(col("lsh")).as(new String[] {"band", "key"}));
        // Earlier articles: every table article (order "" sorts first) and the earlier candidates of this run.
        Dataset<Row> older = candidates.select(col("content_hash").as("o_hash"), col("order_key").as("o_ord"), col("minhash").as("o_mh"),
                posexplode(col("lsh")).as(new String[] {"o_band", "o_key"}));
        if (existing != null) {
            older = older.unionByName(existing.select(col("content_hash").as("o_hash"), lit("").as("o_ord"), col("minhash").as("o_mh"),
                    posexplode(col("lsh")).as(new String[] {"o_band", "o_key"})));
        }
        Dataset<Row> pairs = left.join(older, col("band").equalTo(col("o_band")).and(col("key").equalTo(col("o_key"))))
                .where(col("o_ord").lt(col("c_ord")).and(col("o_hash").notEqual(col("c_hash"))))
                .select("c_hash", "o_hash", "c_mh", "o_mh")
                .dropDuplicates("c_hash", "o_hash");
        Column agreement = expr("size(filter(zip_with(c_mh, o_mh, (x, y) -> x = y), z -> z))").divide(numHashes);
        Dataset<Row> nearHashes = pairs.where(agreement.geq(threshold)).select(col("c_hash").as("n_hash")).distinct();
        return exact.join(nearHashes, exact.col("content_hash").equalTo(nearHashes.col("n_hash")).and(exact.col("status").equalTo("candidate")), "left")
                .withColumn("status", when(col("n_hash").isNotNull(), lit("near_duplicate"))
                        .when(col("status").equalTo("candidate"), lit("new"))
                        .otherwise(col("status")))
                .drop("n_hash");
    }
}
