package dev.zerospark.training.data;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The streamed sample order, by sample id: world-size independent, every sample once an epoch, resumable anywhere. */
class StreamScheduleTest {
    /** 12 units of uneven sizes (row groups of several files): 203 samples. */
    private static final long[] UNITS = {17, 30, 1, 22, 9, 25, 14, 8, 31, 5, 20, 21};

    private static SampleOrder order() {
        return new SampleOrder(UNITS, 42, 16);
    }

    /** The sample ids of one step, over all ranks, in rank then micro-batch order. */
    private static List<Long> step(StreamSchedule s, SampleOrder o, StreamSchedule.Position at) {
        List<Long> ids = new ArrayList<>();
        for (int r = 0; r < s.worldSize(); r++) {
            for (SampleOrder.Source[] micro : s.rankBatches(o, at, r)) {
                assertEquals(s.microBatch(), micro.length);
                for (SampleOrder.Source src : micro) ids.add(src.id());
            }
        }
        return ids;
    }

    @Test
    void anEpochIsAPermutationOfEverySampleWithinBoundedWindows() {
        SampleOrder o = order();
        assertEquals(203, o.total());
        for (long epoch = 0; epoch < 3; epoch++) {
            Set<Long> ids = new HashSet<>();
            for (long p = 0; p < o.total(); p++) {
                SampleOrder.Source s = o.at(epoch, p);
                assertTrue(ids.add(s.id()), "sample " + s.id() + " twice in epoch " + epoch);
                assertEquals(p / 16, s.stream() / 16, "the shuffle stays inside its window of 16");
                assertTrue(s.row() < UNITS[s.unit()]);
            }
            assertEquals(203, ids.size());
        }
        assertEquals(3, o.layoutsBuilt(), "one unit layout per epoch, not one per sample");
        assertNotEquals(o.at(0, 0), o.at(1, 0));
        assertEquals(o.at(2, 77), order().at(2, 77), "a function of the seed alone");
    }

    @Test
    void withoutAWindowEachUnitIsReadWholeInFileOrder() {
        SampleOrder o = new SampleOrder(UNITS, 42, 1);
        SampleOrder.Source prev = o.at(0, 0);
        Set<Integer> unitsDone = new HashSet<>();
        for (long p = 1; p < o.total(); p++) {
            SampleOrder.Source s = o.at(0, p);
            if (s.unit() == prev.unit()) {
                assertEquals(prev.row() + 1, s.row());
            } else {
                assertEquals(UNITS[prev.unit()] - 1, prev.row(), "unit " + prev.unit() + " left before its end");
                assertTrue(unitsDone.add(prev.unit()), "unit " + prev.unit() + " visited twice");
                assertEquals(0, s.row());
            }
            prev = s;
        }
    }

    @Test
    void theSamplesOfAStepDoNotDependOnTheWorldSize() {
        SampleOrder o = order();
        StreamSchedule one = new StreamSchedule(203, 2, 4, 1);
        StreamSchedule two = new StreamSchedule(203, 2, 2, 2);
        StreamSchedule four = new StreamSchedule(203, 2, 1, 4);
        StreamSchedule.Position p = new StreamSchedule.Position(0, 0);
        for (int i = 0; i < 60; i++) { // 25 steps an epoch: crosses two epoch ends
            List<Long> a = step(one, o, p);
            assertEquals(a, step(two, o, p), "step " + i);
            assertEquals(a, step(four, o, p), "step " + i);
            p = one.after(p, 1);
        }
    }

    @Test
    void resumingAtAnotherWorldSizeNeitherRepeatsNorSkipsASample() {
        SampleOrder o = order();
        // 2 ranks × micro 2 (global 4) for 11 steps, then 1 rank × micro 3 (global 3) to the end of the epoch, and
        // the other way round: 1 rank then 2.
        for (boolean twoFirst : new boolean[] {true, false}) {
            StreamSchedule first = twoFirst ? new StreamSchedule(203, 2, 1, 2) : new StreamSchedule(203, 3, 1, 1);
            StreamSchedule then = twoFirst ? new StreamSchedule(203, 3, 1, 1) : new StreamSchedule(203, 2, 1, 2);
            List<Long> seen = new ArrayList<>();
            StreamSchedule.Position p = new StreamSchedule.Position(0, 0);
            for (int i = 0; i < 11; i++, p = first.after(p, 1)) seen.addAll(step(first, o, p));
            StreamSchedule.Position saved = first.after(new StreamSchedule.Position(0, 0), 11); // what the checkpoint records
            assertEquals(p, saved);
            for (; p.epoch() == 0; p = then.after(p, 1)) seen.addAll(step(then, o, p));
            Set<Long> unique = new TreeSet<>(seen);
            assertEquals(seen.size(), unique.size(), "a sample repeated within the epoch");
            // Everything up to the last whole batch of the resumed run: the epoch's order, without a gap.
            Set<Long> expected = new TreeSet<>();
            for (long pos = 0; pos < seen.size(); pos++) expected.add(o.at(0, pos).id());
            assertEquals(expected, unique, "a sample skipped");
            assertTrue(seen.size() > 203 - 4, "only a tail shorter than a batch is dropped: " + seen.size());
        }
    }

    @Test
    void afterIsTheSameAsSteppingOneByOne() {
        StreamSchedule s = new StreamSchedule(203, 3, 2, 2); // global 12, 16 steps an epoch, 11 dropped
        assertEquals(16, s.stepsPerEpoch());
        StreamSchedule.Position start = new StreamSchedule.Position(0, 36);
        StreamSchedule.Position p = start;
        for (int k = 0; k < 50; k++) {
            assertEquals(p, s.after(start, k), "after " + k + " steps");
            p = s.normalize(new StreamSchedule.Position(p.epoch(), p.sampleInEpoch() + 12));
        }
        assertEquals(new StreamSchedule.Position(1, 0), s.after(new StreamSchedule.Position(0, 192), 0), "the tail is dropped");
    }
}
