package dev.zerospark.data.generate;

import dev.zerospark.config.UsageError;
import java.util.List;

/** The input table lacks a column the run was told to read. */
public final class InputColumnException extends RuntimeException implements UsageError {
    public InputColumnException(String table, String option, String column, List<String> columns) {
        super("input table " + table + " has no column '" + column + "' (" + option + "); its columns are " + columns);
    }
}
