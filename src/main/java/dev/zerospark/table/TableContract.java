package dev.zerospark.table;

import java.util.List;

/**
 * The columns and key of one of zerospark's tables, named once: writers, readers and tests refer to these names
 * (through the per-table classes' constants) instead of string literals or positions. Spark-free, so the Spark
 * side maps {@link ColumnType} to its own types in one place.
 *
 * @param table the table's conventional name, used in messages
 * @param columns in the order the table is created with
 * @param key the columns that identify a row; no two rows share them
 */
public record TableContract(String table, List<Column> columns, List<String> key) {
    public TableContract {
        columns = List.copyOf(columns);
        key = List.copyOf(key);
        for (String k : key) {
            if (columns.stream().noneMatch(c -> c.name().equals(k))) {
                throw new IllegalArgumentException("key column " + k + " is not a column of " + table);
            }
        }
    }

    public List<String> names() {
        return columns.stream().map(Column::name).toList();
    }

    public Column column(String name) {
        return columns.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no column " + name + " in " + table));
    }

    /** One column: its name, type, and whether it may hold null. */
    public record Column(String name, ColumnType type, boolean nullable) {
        public static Column required(String name, ColumnType type) {
            return new Column(name, type, false);
        }

        public static Column optional(String name, ColumnType type) {
            return new Column(name, type, true);
        }
    }

    /** The column types zerospark's tables use. */
    public enum ColumnType {
        STRING, BOOLEAN, INT, LONG, DOUBLE, TIMESTAMP, INT_ARRAY, LONG_ARRAY, BYTE_ARRAY
    }
}
