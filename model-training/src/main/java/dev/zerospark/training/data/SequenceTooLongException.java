package dev.zerospark.training.data;

import dev.zerospark.config.UsageError;

/** A training table's rows are longer than the positions the model has (GPT-2 n_positions, Llama max_position_embeddings). */
public final class SequenceTooLongException extends IllegalArgumentException implements UsageError {
    public SequenceTooLongException(String table, long version, int rowLength, int maxPositions) {
        super("table " + table + " (version " + version + ") has rows of " + rowLength + " tokens but the model has "
                + maxPositions + " positions; prepare the table with a seq_len of at most " + (maxPositions - 1)
                + " or use a model with more positions");
    }
}
