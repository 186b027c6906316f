package dev.zerospark.cli;

import dev.zerospark.testing.LocalSpark;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code zerospark table show|history} on a real Delta table, and the one-line error for a folder that is none. */
class TableCommandTest {
    @TempDir Path tmp;

    private String table() {
        StructType schema = new StructType().add("id", DataTypes.StringType).add("n", DataTypes.IntegerType)
                .add("text", DataTypes.StringType);
        List<Row> rows = List.of(RowFactory.create("a1", 1, "first line\nsecond line"), RowFactory.create("a2", 2, "x".repeat(500)),
                RowFactory.create("a3", 3, "third"));
        String path = tmp.resolve("t").toUri().toString();
        LocalSpark.session().createDataFrame(rows, schema).write().format("delta").save(path);
        LocalSpark.session().createDataFrame(List.of(RowFactory.create("a4", 4, "fourth")), schema).write().format("delta").mode("append").save(path);
        return path;
    }

    @Test
    void showFiltersProjectsLimitsAndCutsLongCells() {
        String t = table();
        CliRun r = CliRun.of("table", "show", t, "--where", "n >= 2", "--columns", "id,text", "--limit", "2");
        assertEquals(0, r.code(), r.toString());
        String[] lines = r.out().split("\n");
        assertTrue(lines[0].startsWith("id") && lines[0].contains("| text") && !lines[0].contains("| n"), r.out());
        long dataRows = r.out().lines().filter(l -> l.startsWith("a")).count();
        assertEquals(2, dataRows, r.out());
        assertFalse(r.out().contains("a1"), "the --where predicate keeps n >= 2 only:\n" + r.out());
        assertTrue(r.out().contains("x".repeat(TableCommand.MAX_CELL - 3) + "..."), "a 500-char cell is cut:\n" + r.out());
        assertFalse(r.out().contains("x".repeat(TableCommand.MAX_CELL)), r.out());
        assertTrue(r.out().contains("(2 rows of " + t + " at version 1)"), r.out());
    }

    @Test
    void historyListsCommitsNewestFirst() {
        String t = table();
        CliRun r = CliRun.of("table", "history", t);
        assertEquals(0, r.code(), r.toString());
        List<String> rows = r.out().lines().filter(l -> l.matches("^[0-9]+ .*")).toList();
        assertEquals(2, rows.size(), r.out());
        assertTrue(rows.get(0).startsWith("1 ") && rows.get(0).contains("WRITE"), r.out());
        assertTrue(rows.get(1).startsWith("0 "), r.out());
    }

    @Test
    void aFolderWithoutDeltaLogIsAUsageErrorOnOneLine() throws Exception {
        Path plain = Files.createDirectories(tmp.resolve("plain"));
        Files.writeString(plain.resolve("part-0.parquet"), "not really");
        CliRun r = CliRun.of("table", "show", plain.toString());
        assertEquals(2, r.code(), r.toString());
        assertEquals("zerospark: not a Delta table: " + plain + " (no _delta_log)", r.err().strip(), r.toString());
        assertEquals(2, CliRun.of("table", "history", plain.toString()).code());
    }
}
