package dev.zerospark.training.data.internal;

import dev.zerospark.checkpoint.CountingLocalFileSystem;
import dev.zerospark.table.Articles;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.training.data.DataFile;
import dev.zerospark.training.data.LmBlocksFixture;
import dev.zerospark.training.data.RankBatches;
import dev.zerospark.training.data.StreamSchedule;
import dev.zerospark.training.data.TableFiles;
import dev.zerospark.training.data.TableIndex;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a rank reads from the store in an epoch when row groups hold several shuffle windows of rows: each row group
 * it needs once, with evaluations in between, counted in bytes on a counting filesystem ({@code countfs://}).
 */
class StreamedBatchesReadsTest {
    /** Rows a window: the fixture's row groups hold about 80 train rows, so each spans two to three windows. */
    private static final int WINDOW = 32;
    private static TableIndex index;
    private static Configuration conf;
    private static List<String> names;

    @BeforeAll
    static void table() throws Exception {
        SparkSession spark = LocalSpark.session();
        TableFiles files = TableFiles.resolve(spark, LmBlocksFixture.table(spark, "'delta.enableDeletionVectors' = 'true'"), null);
        // The same files, read through the counting filesystem.
        TableFiles counted = new TableFiles(files.uri(), files.version(), files.tablePath(), files.columns(),
                files.files().stream().map(f -> new DataFile(f.path().replaceFirst("^file:", "countfs:"), f.size(), f.records(),
                        f.partitionValues(), f.deletionVector())).toList(), files.tokenizer());
        conf = new Configuration(spark.sparkContext().hadoopConfiguration());
        conf.set("fs.countfs.impl", CountingLocalFileSystem.class.getName());
        conf.setBoolean("fs.countfs.impl.disable.cache", true);
        index = TableIndex.count(counted, conf);
        names = counted.files().stream().map(f -> new Path(f.path()).getName()).toList();
    }

    private static long bytesRead() {
        return names.stream().mapToLong(CountingLocalFileSystem::bytesRead).sum();
    }

    @Test
    void aRankReadsEachRowGroupOnceAnEpochThoughEvaluationsComeBetween() throws Exception {
        assertTrue(index.train().stream().allMatch(u -> u.rows() > WINDOW), "units larger than a window: " + index.train());
        // What reading every train unit once costs, and every validation unit an evaluation asks for.
        CountingLocalFileSystem.reset();
        for (int u = 0; u < index.train().size(); u++) index.read(Articles.TRAIN, u, conf);
        long trainOnce = bytesRead();
        assertTrue(trainOnce > 0, "the counting filesystem sees the reads");
        int evalRows = 24; // 3 micro-batches of 4 on 2 ranks: the first validation unit or two
        CountingLocalFileSystem.reset();
        try (StreamedBatches r = StreamedBatches.open(index, plan(0), conf, WINDOW)) {
            r.validation(evalRows);
        }
        long evalOnce = bytesRead();

        for (int rank = 0; rank < 2; rank++) {
            CountingLocalFileSystem.reset();
            long steps;
            int units;
            try (StreamedBatches r = StreamedBatches.open(index, plan(rank), conf, WINDOW)) {
                steps = index.trainRows() / 8;
                for (long step = 0; step < steps; step++) {
                    r.step(step);
                    if ((step + 1) % 5 == 0) r.validation(evalRows); // evaluation every 5 steps, as train.eval_interval
                }
                units = r.unitsRead();
            }
            long read = bytesRead();
            // The one read-ahead past the epoch may open the first unit of the next epoch's layout.
            long allowed = trainOnce + evalOnce + trainOnce / index.train().size() * 2;
            assertTrue(read <= allowed, "rank " + rank + " read " + read + " bytes in an epoch of " + steps + " steps; each "
                    + "train unit once costs " + trainOnce + ", the evaluation's units once " + evalOnce + " (" + units + " unit reads, "
                    + index.train().size() + " train units)");
        }
    }

    private static RankBatches.Plan plan(int rank) {
        return new RankBatches.Plan(rank, 4, 1, 2, 5, 0, new StreamSchedule.Position(0, 0));
    }
}
