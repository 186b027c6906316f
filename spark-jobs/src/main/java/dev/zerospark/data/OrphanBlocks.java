package dev.zerospark.data;

import dev.zerospark.table.Articles;
import dev.zerospark.table.LmBlocks;
import io.delta.tables.DeltaTable;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.apache.spark.sql.functions.col;

/**
 * Blocks of a run that died before committing its articles. Such a run's articles are still new to the next run,
 * which tokenizes and packs them again; block boundaries depend on which articles a run packs together and on the
 * input splits, so the new blocks need not match the old ones, and keeping both would train on those tokens
 * twice. A run that committed articles committed its blocks first ({@code articles} is written last), so a run id
 * in {@code lm_blocks} that no article carries is such a crashed run: its blocks are deleted before this run
 * writes. Assumes one prepare run per output at a time.
 */
final class OrphanBlocks {
    private static final Logger LOG = LoggerFactory.getLogger(OrphanBlocks.class);

    private OrphanBlocks() {}

    /** Deletes the orphaned blocks; returns the crashed runs' ids (empty when there were none). */
    static List<String> delete(SparkSession spark, String blocksPath, String articlesPath) {
        if (!DeltaTables.exists(spark, blocksPath)) return List.of();
        Set<String> committed = new HashSet<>();
        if (DeltaTables.exists(spark, articlesPath)) {
            for (Row r : spark.read().format("delta").load(articlesPath).select(Articles.RUN_ID).distinct().collectAsList()) committed.add(r.getString(0));
        }
        List<String> orphans = new ArrayList<>();
        for (Row r : spark.read().format("delta").load(blocksPath).select(LmBlocks.RUN_ID).distinct().collectAsList()) {
            if (!committed.contains(r.getString(0))) orphans.add(r.getString(0));
        }
        if (!orphans.isEmpty()) {
            LOG.warn("{}: deleting the blocks of runs {}, which never committed their articles (crashed); their articles are packed again now",
                    blocksPath, orphans);
            DeltaTable.forPath(spark, blocksPath).delete(col(LmBlocks.RUN_ID).isin(orphans.toArray()));
        }
        return orphans;
    }
}
