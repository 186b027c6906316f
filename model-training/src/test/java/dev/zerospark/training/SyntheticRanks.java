package dev.zerospark.training;

import dev.zerospark.collective.LocalRanks;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.training.data.TrainingTable;
import org.apache.hadoop.conf.Configuration;

import java.time.Duration;
import java.util.List;
import java.util.Random;

/** Tests' two-rank run: ranks as threads over an in-memory rendezvous, on 8 seeded random rows of 17 tokens. */
final class SyntheticRanks {
    private SyntheticRanks() {}

    /** Every rank's result of training {@code spec} (a model of {@code config}, vocab 1024) on the synthetic rows. */
    static List<RankResult> train(TrainConfig config, RunSpec spec) throws Exception {
        ModelSource source = ModelSource.of(config, 1024);
        Random rnd = new Random(3);
        int[][] rows = new int[8][17];
        for (int[] row : rows) for (int i = 0; i < row.length; i++) row[i] = rnd.nextInt(1024);
        TrainingTable table = new TrainingTable("synthetic", 0, rows, null, new int[0][], null);
        return LocalRanks.hosted(2, Duration.ofMinutes(2), (rank, rendezvous) ->
                new RankTrainer(spec, table, source, new Configuration()).run(new ThreadHost(rank, rendezvous)));
    }
}
