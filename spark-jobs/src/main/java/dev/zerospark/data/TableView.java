package dev.zerospark.data;

import io.delta.tables.DeltaTable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.apache.spark.sql.functions.col;

/**
 * A look at a Delta table without a SQL client: a few rows as text (optionally filtered and projected), or its
 * commit history. Cells are rendered as strings here, so the CLI only lays them out.
 */
public final class TableView {
    private TableView() {}

    /** The rows of a table as strings: {@code header} names the columns, {@code rows} holds at most the limit. */
    public record Rows(List<String> header, List<List<String>> rows, long version) {}

    /** Fails with {@link NotADeltaTableException} unless {@code path} holds a Delta log. */
    public static void requireTable(SparkSession spark, String path) {
        if (!DeltaTable.isDeltaTable(spark, path)) throw new NotADeltaTableException(path);
    }

    /**
     * Up to {@code limit} rows of the table's latest version.
     *
     * @param where   a Spark SQL predicate, or null
     * @param columns column names or expressions to keep, or empty for all
     */
    public static Rows show(SparkSession spark, String path, String where, List<String> columns, int limit) {
        requireTable(spark, path);
        Dataset<Row> df = spark.read().format("delta").load(path);
        if (where != null && !where.isBlank()) df = df.where(where);
        if (!columns.isEmpty()) df = df.selectExpr(columns.toArray(String[]::new));
        List<String> header = Arrays.stream(df.schema().fields()).map(StructField::name).toList();
        List<List<String>> rows = new ArrayList<>();
        for (Row r : df.limit(limit).collectAsList()) {
            List<String> cells = new ArrayList<>(r.length());
            for (int i = 0; i < r.length(); i++) cells.add(cell(r.get(i)));
            rows.add(cells);
        }
        return new Rows(header, rows, DeltaTables.version(spark, path));
    }

    /** The newest {@code limit} commits: version, timestamp, operation and its metrics, as strings. */
    public static Rows history(SparkSession spark, String path, int limit) {
        requireTable(spark, path);
        Dataset<Row> h = DeltaTable.forPath(spark, path).history(limit)
                .select(col("version"), col("timestamp"), col("operation"), col("operationParameters"), col("operationMetrics"));
        List<String> header = Arrays.asList(h.columns());
        List<List<String>> rows = new ArrayList<>();
        for (Row r : h.collectAsList()) {
            List<String> cells = new ArrayList<>();
            for (int i = 0; i < r.length(); i++) cells.add(cell(r.get(i)));
            rows.add(cells);
        }
        return new Rows(header, rows, DeltaTables.version(spark, path));
    }

    /** Arrays and maps as Spark shows them; Scala collections print their own class names otherwise. */
    private static String cell(Object v) {
        if (v == null) return "null";
        if (v instanceof scala.collection.Seq<?> s) return "[" + String.join(", ", scala.jdk.javaapi.CollectionConverters.asJava(s).stream().map(TableView::cell).toList()) + "]";
        if (v instanceof scala.collection.Map<?, ?> m) {
            List<String> parts = new ArrayList<>();
            scala.jdk.javaapi.CollectionConverters.asJava(m).forEach((k, x) -> parts.add(cell(k) + " -> " + cell(x)));
            return "{" + String.join(", ", parts) + "}";
        }
        if (v instanceof byte[] b) return "<" + b.length + " bytes>";
        return String.valueOf(v);
    }
}
