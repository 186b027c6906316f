package dev.zerospark.training.data;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchScheduleTest {

    @Test
    void ranksAndMicroBatchesPartitionEachGlobalBatch() {
        BatchSchedule s = new BatchSchedule(50, 2, 3, 4, 7, true); // global batch 24, 2 steps per epoch
        assertEquals(2, s.stepsPerEpoch());
        for (long step = 0; step < 4; step++) {
            Set<Integer> seen = new HashSet<>();
            for (int r = 0; r < 4; r++) {
                for (int m = 0; m < 3; m++) {
                    for (int row : s.rows(step, r, m)) assertTrue(seen.add(row), "row " + row + " twice in step " + step);
                }
            }
            assertEquals(24, seen.size());
        }
    }

    @Test
    void anEpochNeverRepeatsARowAndEpochsDiffer() {
        BatchSchedule s = new BatchSchedule(48, 4, 1, 2, 1, true); // 6 steps per epoch, covers all 48 rows
        Set<Integer> epoch0 = new HashSet<>();
        for (long step = 0; step < 6; step++) {
            for (int r = 0; r < 2; r++) for (int row : s.rows(step, r, 0)) assertTrue(epoch0.add(row));
        }
        assertEquals(48, epoch0.size());
        assertNotEquals(Arrays.toString(s.rows(0, 0, 0)), Arrays.toString(s.rows(6, 0, 0)));
        assertEquals(new BatchSchedule.Cursor(1, 8), s.cursorAfter(7));
    }

    @Test
    void deterministicFromSeedAndIdentityWithoutShuffle() {
        assertArrayEquals(new BatchSchedule(40, 2, 1, 2, 9, true).rows(3, 1, 0), new BatchSchedule(40, 2, 1, 2, 9, true).rows(3, 1, 0));
        BatchSchedule fixed = new BatchSchedule(8, 1, 2, 2, 0, false);
        // rank 1 of 2 with micro 1 × accum 2 takes rows 2, 3 of the 4-row global batch
        assertArrayEquals(new int[] {2}, fixed.rows(0, 1, 0));
        assertArrayEquals(new int[] {3}, fixed.rows(0, 1, 1));
        assertArrayEquals(new int[] {7}, fixed.rows(1, 1, 1));
    }

    @Test
    void tooFewRowsIsExplained() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BatchSchedule(5, 2, 2, 2, 0, true));
        assertTrue(e.getMessage().contains("fewer than one global batch (8"), e.getMessage());
    }

    @Test
    void thePermutationIsBuiltOncePerEpochNotPerMicroBatch() {
        BatchSchedule s = new BatchSchedule(50, 2, 3, 4, 7, true); // 2 steps per epoch, 12 micro-batches per step
        for (long step = 0; step < 6; step++) {
            for (int r = 0; r < 4; r++) for (int m = 0; m < 3; m++) s.rows(step, r, m);
        }
        assertEquals(3, s.permutationsBuilt(), "3 epochs visited, 72 micro-batches asked for");
    }

    @Test
    void cachingKeepsTheOrderOfAFreshPermutationPerEpoch() {
        BatchSchedule s = new BatchSchedule(50, 2, 3, 4, 7, true);
        // Out of order, and back to an earlier epoch: the cache must never serve another epoch's rows.
        for (long step : new long[] {0, 3, 1, 2, 5, 0, 4}) {
            int[] perm = s.permutation(step / s.stepsPerEpoch());
            for (int r = 0; r < 4; r++) {
                for (int m = 0; m < 3; m++) {
                    int start = (int) (step % s.stepsPerEpoch()) * 24 + r * 6 + m * 2;
                    assertArrayEquals(Arrays.copyOfRange(perm, start, start + 2), s.rows(step, r, m), "step " + step);
                }
            }
        }
    }
}
