package dev.zerospark.training.data.internal;

import dev.zerospark.testing.LocalSpark;
import dev.zerospark.training.data.LmBlocksFixture;
import dev.zerospark.training.data.RankBatches;
import dev.zerospark.training.data.Rows;
import dev.zerospark.training.data.SampleOrder;
import dev.zerospark.training.data.StreamSchedule;
import dev.zerospark.training.data.TableFiles;
import dev.zerospark.training.data.TableIndex;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ranks stream their batches from the table's files: every live block once an epoch, read ahead one step. */
class StreamedBatchesTest {
    private static TableIndex index;
    private static Configuration conf;

    @BeforeAll
    static void table() throws Exception {
        SparkSession spark = LocalSpark.session();
        String uri = LmBlocksFixture.table(spark, "'delta.enableDeletionVectors' = 'true'");
        spark.sql("DELETE FROM delta.`" + uri + "` WHERE block_id IN ('b0001', 'b0002', 'b0899', 'b0005')");
        conf = spark.sparkContext().hadoopConfiguration();
        index = TableIndex.count(TableFiles.resolve(spark, uri, null), conf);
    }

    private static RankBatches.Plan plan(int rank, int micro, int accum, int world) {
        return new RankBatches.Plan(rank, micro, accum, world, 5, 0, new StreamSchedule.Position(0, 0));
    }

    @Test
    void twoRanksTrainOnEveryLiveBlockOnceAnEpochAndNeverOnADeletedOne() throws Exception {
        assertEquals(717, index.trainRows());
        StreamSchedule schedule = new StreamSchedule(717, 4, 2, 2);
        List<Integer> seen = new ArrayList<>();
        try (StreamedBatches r0 = StreamedBatches.open(index, plan(0, 4, 2, 2), conf, 64);
             StreamedBatches r1 = StreamedBatches.open(index, plan(1, 4, 2, 2), conf, 64);
             StreamedBatches one = StreamedBatches.open(index, plan(0, 4, 4, 1), conf, 64)) {
            for (long step = 0; step < schedule.stepsPerEpoch(); step++) {
                List<Integer> both = new ArrayList<>();
                for (StreamedBatches rank : List.of(r0, r1)) {
                    for (Rows micro : rank.step(step)) for (int[] ids : micro.ids()) both.add(ids[0]);
                }
                List<Integer> single = new ArrayList<>();
                for (Rows micro : one.step(step)) for (int[] ids : micro.ids()) single.add(ids[0]);
                assertEquals(single, both, "step " + step + ": the same blocks on 1 rank as on 2");
                seen.addAll(both);
            }
            assertEquals(new StreamSchedule.Position(1, 0), r0.positionAfter(schedule.stepsPerEpoch()));
            // The order keeps a rank's samples in neighbouring units: each row group is read at most once an epoch.
            assertTrue(r0.unitsRead() <= index.train().size(), r0.unitsRead() + " reads of " + index.train().size() + " units");
            assertTrue(r1.unitsRead() <= index.train().size(), r1.unitsRead() + " reads of " + index.train().size() + " units");
        }
        Set<Integer> unique = new TreeSet<>(seen);
        assertEquals(seen.size(), unique.size(), "a block twice in an epoch");
        assertEquals(717 / 16 * 16, seen.size());
        for (int deleted : List.of(1, 2, 899)) assertFalse(unique.contains(deleted), "deleted block " + deleted + " trained on");
        for (int b : unique) assertTrue(b % 5 != 0, "validation block " + b + " trained on");
    }

    @Test
    void theNextStepIsReadAheadAndJoined() throws Exception {
        try (StreamedBatches ahead = StreamedBatches.open(index, plan(1, 2, 3, 2), conf, 64);
             StreamedBatches fresh = StreamedBatches.open(index, plan(1, 2, 3, 2), conf, 64)) {
            assertEquals(-1, ahead.readingAhead());
            Rows[] first = ahead.step(0);
            assertEquals(1, ahead.readingAhead(), "step 1 is read while step 0 trains");
            assertEquals(3, first.length);
            // Read ahead or read now, a step's rows are the same; a jump (a resume) reads what it asks for.
            assertArrayEquals(fresh.step(1)[2].ids(), ahead.step(1)[2].ids());
            assertArrayEquals(fresh.step(7)[0].ids(), ahead.step(7)[0].ids());
            assertEquals(8, ahead.readingAhead());
        }
    }

    @Test
    void aResumeContinuesFromTheRecordedPosition() throws Exception {
        // 3 steps on 2 ranks of micro 3, then 1 rank of micro 4 from the cursor the checkpoint recorded.
        List<Integer> seen = new ArrayList<>();
        StreamSchedule.Position saved;
        try (StreamedBatches r0 = StreamedBatches.open(index, plan(0, 3, 1, 2), conf, 64);
             StreamedBatches r1 = StreamedBatches.open(index, plan(1, 3, 1, 2), conf, 64)) {
            for (long step = 0; step < 3; step++) {
                for (StreamedBatches r : List.of(r0, r1)) for (int[] ids : r.step(step)[0].ids()) seen.add(ids[0]);
            }
            saved = r0.positionAfter(3);
        }
        assertEquals(new StreamSchedule.Position(0, 18), saved);
        RankBatches.Plan resumed = new RankBatches.Plan(0, 4, 1, 1, 5, 3, saved);
        try (StreamedBatches one = StreamedBatches.open(index, resumed, conf, 64)) {
            for (long step = 3; step < 6; step++) for (int[] ids : one.step(step)[0].ids()) seen.add(ids[0]);
        }
        SampleOrder order = new SampleOrder(index.train().stream().mapToLong(TableIndex.Unit::rows).toArray(), 5, 64);
        Set<Integer> expected = new TreeSet<>();
        try (StreamedBatches all = StreamedBatches.open(index, plan(0, 30, 1, 1), conf, 64)) {
            for (int[] ids : all.step(0)[0].ids()) expected.add(ids[0]); // positions 0-29 of epoch 0
        }
        assertEquals(30, seen.size());
        assertEquals(expected, new TreeSet<>(seen), "positions 0-29, none repeated or skipped");
        assertEquals(717, order.total());
    }

    /**
     * The same blocks in a table partitioned by split (no split column in its files): an epoch trains on every live
     * train block once and the ranks' validation stripes hold every validation block, token for token as in the
     * unpartitioned table.
     */
    @Test
    void aTablePartitionedBySplitStreamsTheSameRows() throws Exception {
        SparkSession spark = LocalSpark.session();
        String uri = LmBlocksFixture.table(spark, "'delta.enableDeletionVectors' = 'true'", true);
        spark.sql("DELETE FROM delta.`" + uri + "` WHERE block_id IN ('b0001', 'b0002', 'b0899', 'b0005')");
        TableIndex partitioned = TableIndex.count(TableFiles.resolve(spark, uri, null), conf);
        assertTrue(partitioned.table().columns().splitPartition());
        assertEquals(index.trainRows(), partitioned.trainRows());
        assertEquals(index.validationRows(), partitioned.validationRows());
        Map<Integer, List<Integer>> flatTrain = epoch(index);
        assertEquals(717, flatTrain.size(), "717 = 239 steps of 3: the epoch holds every train block");
        assertEquals(flatTrain, epoch(partitioned));
        Map<Integer, List<Integer>> flatValidation = validation(index);
        assertEquals(179, flatValidation.size(), "180 validation blocks less the deleted block 5");
        assertEquals(flatValidation, validation(partitioned));
    }

    /** Epoch 0 on one rank of micro-batch 3, by block number. */
    private static Map<Integer, List<Integer>> epoch(TableIndex table) throws Exception {
        Map<Integer, List<Integer>> out = new TreeMap<>();
        try (StreamedBatches one = StreamedBatches.open(table, plan(0, 3, 1, 1), conf, 64)) {
            for (long step = 0; step < table.trainRows() / 3; step++) {
                for (int[] ids : one.step(step)[0].ids()) {
                    assertNull(out.put(ids[0], Arrays.stream(ids).boxed().toList()), "block " + ids[0] + " twice");
                }
            }
        }
        return out;
    }

    /** Both ranks' validation rows of a 2-rank run, by block number. */
    private static Map<Integer, List<Integer>> validation(TableIndex table) throws Exception {
        Map<Integer, List<Integer>> out = new TreeMap<>();
        for (int rank = 0; rank < 2; rank++) {
            try (StreamedBatches r = StreamedBatches.open(table, plan(rank, 4, 1, 2), conf, 64)) {
                for (Rows rows : r.validation(1000)) {
                    for (int[] ids : rows.ids()) {
                        assertNull(out.put(ids[0], Arrays.stream(ids).boxed().toList()), "block " + ids[0] + " twice");
                    }
                }
            }
        }
        return out;
    }

    @Test
    void validationRowsAreStripedAcrossRanks() throws Exception {
        List<Integer> all = new ArrayList<>();
        try (StreamedBatches r0 = StreamedBatches.open(index, plan(0, 2, 1, 2), conf, 64);
             StreamedBatches r1 = StreamedBatches.open(index, plan(1, 2, 1, 2), conf, 64)) {
            for (StreamedBatches r : List.of(r0, r1)) {
                Rows[] val = r.validation(10);
                assertEquals(3, val.length, "5 rows a rank in micro-batches of 2");
                for (Rows rows : val) for (int[] ids : rows.ids()) all.add(ids[0]);
            }
        }
        // The first 10 validation blocks in file order, 5 a rank; block 5 is deleted.
        assertEquals(10, new TreeSet<>(all).size());
        for (int b : all) assertEquals(0, b % 5, "block " + b + " is a validation block");
        assertFalse(all.contains(5));
    }
}
