package dev.zerospark.pipeline.internal;

import dev.zerospark.table.SftPairs;
import dev.zerospark.tokenizer.TokenizerProvenance;
import io.delta.tables.DeltaTable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * A run's training table, {@code <run dir>/train_mix}: the lm_blocks rows added since the version the previous
 * training run pinned (all of them on the first run), plus a seeded sample of older train rows so that they make
 * {@code replay_fraction} of the train rows, plus the self-instruct pairs the augment stage added since the previous
 * training run (with their loss masks; the lm_blocks rows then get a mask of all ones, which is what they train
 * with anyway). Written once per run; a rerun of the run reads the plan back from its
 * table properties, so a resumed train stage sees exactly the rows (and the start model) the first attempt saw.
 */
final class TrainingMix {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingMix.class);
    private static final String PREFIX = "zerospark.pipeline.";
    static final String BLOCK_ID = "block_id";
    static final String SPLIT = "split";
    static final String INPUT_IDS = "input_ids";
    static final String ORIGIN = "origin";
    static final String LOSS_MASK = SftPairs.LOSS_MASK;
    /** {@link #ORIGIN} of the augment stage's pairs. */
    static final String SELF_INSTRUCT = "self_instruct";

    /**
     * The augment stage's sft_pairs table (rows of lm_blocks' length), pinned at {@code version}, and the version the
     * previous training run pinned (-1: none, so every row is new).
     */
    record Pairs(String uri, long version, long baselineVersion) {}

    /**
     * @param dataVersion     the lm_blocks version the mix was drawn from (pinned)
     * @param baselineVersion the lm_blocks version the previous training run pinned, -1 when there was none
     * @param fromModel       the HF model the run continues from, "" to train train.arch with train.preset from scratch
     * @param pairs           the augment stage's pairs table, null when the mix has none
     * @param pairRows        the pairs in the mix (all splits; their train rows count in newTrainRows)
     */
    record Plan(String lmBlocks, long dataVersion, long baselineVersion, long newTrainRows, long newRows, long replayRows,
                String fromModel, String uri, String pairs, long pairsVersion, long pairRows) {
        long trainRows() {
            return newTrainRows + replayRows;
        }
    }

    private TrainingMix() {}

    /** The mix this run already wrote, if it wrote one. */
    static java.util.Optional<Plan> existing(SparkSession spark, String uri) {
        if (!DeltaTable.isDeltaTable(spark, uri)) return java.util.Optional.empty();
        Map<String, String> p = properties(spark, uri, latestVersion(spark, uri));
        return java.util.Optional.of(new Plan(p.get(PREFIX + "lm_blocks"), Long.parseLong(p.get(PREFIX + "data_version")),
                Long.parseLong(p.get(PREFIX + "baseline_version")), Long.parseLong(p.get(PREFIX + "new_train_rows")),
                Long.parseLong(p.get(PREFIX + "new_rows")), Long.parseLong(p.get(PREFIX + "replay_rows")),
                p.get(PREFIX + "from_model"), uri, p.get(PREFIX + "pairs"), Long.parseLong(p.getOrDefault(PREFIX + "pairs_version", "-1")),
                Long.parseLong(p.getOrDefault(PREFIX + "pair_rows", "0"))));
    }

    /**
     * Plans the mix and writes it, unless there are no new train rows (then nothing is written and the plan says
     * {@code newTrainRows == 0}).
     */
    static Plan write(SparkSession spark, String lmBlocks, long baselineVersion, double replayFraction, long seed,
                      String fromModel, String uri, Pairs pairs) {
        long now = latestVersion(spark, lmBlocks);
        Dataset<Row> current = at(spark, lmBlocks, now);
        Dataset<Row> fresh = current;
        Dataset<Row> old = null;
        if (baselineVersion >= 0) {
            old = at(spark, lmBlocks, baselineVersion).filter(col(SPLIT).equalTo("train"));
            fresh = current.join(at(spark, lmBlocks, baselineVersion).select(BLOCK_ID), new String[] {BLOCK_ID}, "left_anti");
        }
        fresh = fresh.select(BLOCK_ID, SPLIT, INPUT_IDS).withColumn(ORIGIN, lit("new"));
        long newRows = fresh.count();
        long newTrain = fresh.filter(col(SPLIT).equalTo("train")).count();
        Dataset<Row> pairRows = pairs == null || pairs.version() < 0 ? null : newPairs(spark, pairs);
        long pairCount = pairRows == null ? 0 : pairRows.count();
        long pairTrain = pairCount == 0 ? 0 : pairRows.filter(col(SPLIT).equalTo("train")).count();
        String pairsUri = pairCount == 0 ? null : pairs.uri();
        long pairsVersion = pairCount == 0 ? -1 : pairs.version();
        Plan plan = new Plan(lmBlocks, now, baselineVersion, newTrain + pairTrain, newRows, 0, fromModel, uri, pairsUri, pairsVersion, pairCount);
        if (newTrain + pairTrain == 0) return plan;
        Dataset<Row> mix = fresh;
        long replay = 0;
        if (old != null && replayFraction > 0) {
            long wanted = Math.round(newTrain * replayFraction / (1 - replayFraction));
            long available = old.count();
            replay = Math.min(wanted, available);
            if (replay < wanted) LOG.warn("replay wants {} older train rows but {} version {} has {}", wanted, lmBlocks, baselineVersion, available);
            Dataset<Row> sample = old.orderBy(xxhash64(col(BLOCK_ID), lit(seed))).limit((int) Math.min(replay, Integer.MAX_VALUE))
                    .select(BLOCK_ID, SPLIT, INPUT_IDS).withColumn(ORIGIN, lit("replay"));
            mix = mix.unionByName(sample);
        }
        if (pairCount > 0) {
            // Every next token of a block is a target, as without a mask (position 0 is never one).
            mix = mix.withColumn(LOSS_MASK, expr("transform(" + INPUT_IDS + ", x -> 1)")).unionByName(pairRows);
        }
        plan = new Plan(lmBlocks, now, baselineVersion, newTrain + pairTrain, newRows, replay, fromModel, uri, pairsUri, pairsVersion, pairCount);
        var create = mix.writeTo("delta.`" + uri.replace("`", "``") + "`").using("delta");
        Map<String, String> props = new HashMap<>();
        Map<String, String> source = properties(spark, lmBlocks, now);
        for (String k : List.of(TokenizerProvenance.SHA256_PROPERTY, TokenizerProvenance.URI_PROPERTY)) {
            if (source.containsKey(k)) props.put(k, source.get(k)); // train copies the tokenizer into the checkpoints from these
        }
        props.put(PREFIX + "lm_blocks", lmBlocks);
        props.put(PREFIX + "data_version", Long.toString(now));
        props.put(PREFIX + "baseline_version", Long.toString(baselineVersion));
        props.put(PREFIX + "new_train_rows", Long.toString(newTrain));
        props.put(PREFIX + "new_rows", Long.toString(newRows));
        props.put(PREFIX + "replay_rows", Long.toString(replay));
        props.put(PREFIX + "from_model", fromModel);
        if (pairsUri != null) {
            props.put(PREFIX + "pairs", pairsUri);
            props.put(PREFIX + "pairs_version", Long.toString(pairsVersion));
            props.put(PREFIX + "pair_rows", Long.toString(pairCount));
        }
        for (Map.Entry<String, String> e : props.entrySet()) create = create.tableProperty(e.getKey(), e.getValue());
        try {
            create.create();
        } catch (org.apache.spark.sql.catalyst.analysis.TableAlreadyExistsException e) { // only a second writer of this run gets here
            throw new IllegalStateException("training mix " + uri + " appeared while this run was writing it: is the run going twice?", e);
        }
        LOG.info("training mix {}: {} new rows ({} train) of {} version {} since version {}, {} replayed, {} self-instruct pairs",
                uri, newRows, newTrain, lmBlocks, now, baselineVersion, replay, pairCount);
        return plan;
    }

    /**
     * The pairs the previous training run did not see, as mix rows. Their ids are the sft_pairs key, prefixed so
     * they cannot collide with a block id. A pair whose prompt left its response no room (a title and template
     * longer than the row) has no loss token and teaches nothing: it stays out.
     */
    private static Dataset<Row> newPairs(SparkSession spark, Pairs pairs) {
        Dataset<Row> rows = at(spark, pairs.uri(), pairs.version());
        if (pairs.baselineVersion() >= 0) {
            rows = rows.join(at(spark, pairs.uri(), pairs.baselineVersion()).select(SftPairs.CONTENT_HASH),
                    new String[] {SftPairs.CONTENT_HASH}, "left_anti");
        }
        return rows.filter(expr("exists(" + LOSS_MASK + ", m -> m > 0)"))
                .select(concat(lit("sft:"), col(SftPairs.CONTENT_HASH)).as(BLOCK_ID), col(SPLIT), col(INPUT_IDS), col(LOSS_MASK))
                .withColumn(ORIGIN, lit(SELF_INSTRUCT));
    }

    private static Dataset<Row> at(SparkSession spark, String uri, long version) {
        return spark.read().format("delta").option("versionAsOf", version).load(uri);
    }

    static long latestVersion(SparkSession spark, String uri) {
        return DeltaLog.forTable(spark, uri).update(false, Option.empty(), Option.empty()).version();
    }

    private static Map<String, String> properties(SparkSession spark, String uri, long version) {
        return scala.jdk.javaapi.CollectionConverters.asJava(DeltaLog.forTable(spark, uri)
                .getSnapshotAt(version, Option.empty(), Option.empty()).metadata().configuration());
    }
}
