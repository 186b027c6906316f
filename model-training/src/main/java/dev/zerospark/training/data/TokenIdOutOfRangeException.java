package dev.zerospark.training.data;

import dev.zerospark.config.UsageError;

/** A training table holds a token id outside the model's vocabulary; names the table, split, row and position. */
public final class TokenIdOutOfRangeException extends IllegalArgumentException implements UsageError {
    public TokenIdOutOfRangeException(String table, long version, String split, int row, int position, int id,
                                      int vocabSize) {
        super("table " + table + " (version " + version + ") split " + split + " row " + row + " (in table order)"
                + " position " + position + " has token id " + id + ", outside the model's vocabulary [0, "
                + vocabSize + "); was the table tokenized for another model?");
    }

    /** A streamed table, whose rows the driver never holds: {@code where} names the split, file, row and position. */
    public TokenIdOutOfRangeException(String table, long version, String where, int id, int vocabSize) {
        super("table " + table + " (version " + version + ") " + where + " has token id " + id
                + ", outside the model's vocabulary [0, " + vocabSize + "); was the table tokenized for another model?");
    }
}
