package dev.zerospark.cli;

import dev.zerospark.data.TableView;
import dev.zerospark.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code zerospark table show|history}: look at a Delta table without a SQL client. */
@Command(name = "table", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Look at a Delta table: its rows or its commit history.",
        subcommands = {TableCommand.Show.class, TableCommand.History.class})
public final class TableCommand {
    /** Cells wider than this are cut, so one long article does not push the other columns off screen. */
    static final int MAX_CELL = 60;

    @Command(name = "show", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Print rows of a Delta table (latest version).")
    static final class Show implements Runnable {
        @Parameters(paramLabel = "URI", description = "The table (path or file://, s3a://, hdfs://, dbfs:/ URI).") String uri;
        @Option(names = "--where", paramLabel = "SQL", description = "Keep rows matching this Spark SQL predicate (optional; default all rows).") String where;
        @Option(names = "--columns", paramLabel = "A,B", split = ",", description = "Columns (or SQL expressions) to print; default all.") List<String> columns = new ArrayList<>();
        @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "Rows to print (default: ${DEFAULT-VALUE}).") int limit;
        @Option(names = "--master", paramLabel = "URL", description = "Spark master when not under spark-submit (default local[*]).") String master;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            print(spec.commandLine().getOut(), TableView.show(session(spec, limit, master), uri, where, columns, limit), uri);
        }
    }

    @Command(name = "history", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Print a Delta table's commits, newest first.")
    static final class History implements Runnable {
        @Parameters(paramLabel = "URI", description = "The table (path or file://, s3a://, hdfs://, dbfs:/ URI).") String uri;
        @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "Commits to print (default: ${DEFAULT-VALUE}).") int limit;
        @Option(names = "--master", paramLabel = "URL", description = "Spark master when not under spark-submit (default local[*]).") String master;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            print(spec.commandLine().getOut(), TableView.history(session(spec, limit, master), uri, limit), uri);
        }
    }

    /** Checks --limit, then the session to read with. */
    private static SparkSession session(picocli.CommandLine.Model.CommandSpec spec, int limit, String master) {
        if (limit < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--limit must be at least 1, got " + limit);
        return SparkSessions.getOrCreate("zerospark-table", PrepareCommand.sparkMaster(master), Map.of());
    }

    /** A plain text table: column widths from the cells, each cut to {@link #MAX_CELL}, newlines shown as spaces. */
    static void print(PrintWriter out, TableView.Rows rows, String uri) {
        List<String> header = rows.header();
        int[] width = new int[header.size()];
        List<List<String>> cells = new ArrayList<>();
        for (List<String> r : rows.rows()) cells.add(r.stream().map(TableCommand::fit).toList());
        for (int i = 0; i < width.length; i++) {
            width[i] = header.get(i).length();
            for (List<String> r : cells) width[i] = Math.max(width[i], r.get(i).length());
        }
        out.println(line(header, width));
        StringBuilder rule = new StringBuilder();
        for (int w : width) rule.append(rule.length() == 0 ? "" : "-+-").append("-".repeat(w));
        out.println(rule);
        for (List<String> r : cells) out.println(line(r, width));
        out.printf("(%d row%s of %s at version %d)%n", cells.size(), cells.size() == 1 ? "" : "s", uri, rows.version());
        out.flush();
    }

    private static String fit(String cell) {
        String flat = cell.replace('\n', ' ').replace('\r', ' ').replace('\t', ' ');
        return flat.length() <= MAX_CELL ? flat : flat.substring(0, MAX_CELL - 3) + "...";
    }

    private static String line(List<String> cells, int[] width) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) b.append(" | ");
            b.append(cells.get(i)).append(" ".repeat(width[i] - cells.get(i).length()));
        }
        return b.toString().stripTrailing();
    }
}
