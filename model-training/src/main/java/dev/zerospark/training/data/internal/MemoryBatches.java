package dev.zerospark.training.data.internal;

import dev.zerospark.training.data.BatchSchedule;
import dev.zerospark.training.data.RankBatches;
import dev.zerospark.training.data.Rows;
import dev.zerospark.training.data.StreamSchedule;
import dev.zerospark.training.data.TrainingTable;

import java.util.ArrayList;
import java.util.List;

/** A rank's batches from rows it holds ({@link TrainingTable}), in {@link BatchSchedule}'s order. */
public final class MemoryBatches implements RankBatches {
    private final TrainingTable table;
    private final BatchSchedule schedule;
    private final Plan plan;

    public MemoryBatches(TrainingTable table, Plan plan) {
        this.table = table;
        this.plan = plan;
        this.schedule = new BatchSchedule(table.train().length, plan.microBatch(), plan.gradAccum(), plan.worldSize(),
                plan.seed(), true);
    }

    @Override
    public Rows[] step(long step) {
        Rows[] out = new Rows[plan.gradAccum()];
        for (int m = 0; m < out.length; m++) {
            int[] rows = schedule.rows(step, plan.rank(), m);
            int[][] ids = new int[rows.length][];
            float[][] masks = table.trainMask() == null ? null : new float[rows.length][];
            for (int i = 0; i < rows.length; i++) {
                ids[i] = table.train()[rows[i]];
                if (masks != null) masks[i] = table.trainMask()[rows[i]];
            }
            out[m] = new Rows(ids, masks);
        }
        return out;
    }

    @Override
    public Rows[] validation(int limit) {
        int[][] val = table.validation();
        List<Integer> mine = new ArrayList<>();
        for (int i = plan.rank(); i < Math.min(limit, val.length); i += plan.worldSize()) mine.add(i);
        List<Rows> out = new ArrayList<>();
        for (int from = 0; from < mine.size(); from += plan.microBatch()) {
            List<Integer> chunk = mine.subList(from, Math.min(mine.size(), from + plan.microBatch()));
            int[][] ids = chunk.stream().map(i -> val[i]).toArray(int[][]::new);
            float[][] mask = table.validationMask() == null ? null
                    : chunk.stream().map(i -> table.validationMask()[i]).toArray(float[][]::new);
            out.add(new Rows(ids, mask));
        }
        return out.toArray(new Rows[0]);
    }

    @Override
    public StreamSchedule.Position positionAfter(long steps) {
        BatchSchedule.Cursor c = schedule.cursorAfter(steps);
        return new StreamSchedule.Position(c.epoch(), c.position());
    }

    @Override
    public int shuffleWindow() {
        return 0; // BatchSchedule permutes the whole epoch
    }

    @Override
    public String order() {
        return "SplittableRandom(seed * 1000003 + epoch)";
    }

    @Override
    public void close() {}
}
