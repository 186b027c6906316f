package dev.zerospark.training.data;

import dev.zerospark.tokenizer.TokenizerProvenance;
import org.apache.hadoop.conf.Configuration;

import java.io.Serializable;

/**
 * The training data of a run as the driver ships it to the ranks: the rows themselves ({@link TrainingTable}, for
 * synthetic data and tests) or only where they are ({@link TableIndex}: ranks stream their rows from the table's
 * files).
 */
public interface TrainingData extends Serializable {
    String uri();

    long version();

    /** The tokenizer the table records, or null. */
    TokenizerProvenance tokenizer();

    long trainRows();

    long validationRows();

    /** Opens a rank's reader; {@code conf} reaches the table's files. */
    RankBatches open(RankBatches.Plan plan, Configuration conf);
}
