package dev.zerospark.training.data;

/**
 * One rank's view of the training data while it trains: its micro-batches of each step, its share of the validation
 * rows, and the cursor a checkpoint records. Opened by {@link TrainingData#open}.
 */
public interface RankBatches extends AutoCloseable {

    /** Where a run stands: the rank's position in the data, fixed on the rank at start and advanced by steps. */
    record Plan(int rank, int microBatch, int gradAccum, int worldSize, long seed, long startStep,
                StreamSchedule.Position startPosition) {}

    /** This rank's {@code gradAccum} micro-batches of optimizer step {@code step} (0-based; steps are asked in order). */
    Rows[] step(long step) throws Exception;

    /**
     * This rank's micro-batches of the first {@code limit} validation rows (striped across ranks: row i goes to rank
     * i mod world size).
     */
    Rows[] validation(int limit) throws Exception;

    /** Epoch and sample offset the step after {@code steps} completed steps starts at: what a checkpoint records. */
    StreamSchedule.Position positionAfter(long steps);

    /** How the order is drawn from the seed, for the checkpoint's record of it. */
    String order();

    /** Samples the order shuffles together, which a resume must keep (0: the order has no window). */
    int shuffleWindow();

    /** Joins any read in flight. */
    @Override
    void close() throws Exception;
}
