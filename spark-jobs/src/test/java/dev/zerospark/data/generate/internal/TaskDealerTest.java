package dev.zerospark.data.generate.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.testing.LocalSpark;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class TaskDealerTest {
    private static final StructType CHUNK = DataTypes.createStructType(List.of(
            DataTypes.createStructField(PartitionGenerator.ID, DataTypes.StringType, true),
            DataTypes.createStructField(PartitionGenerator.TITLE, DataTypes.StringType, true),
            DataTypes.createStructField(PartitionGenerator.TEXT, DataTypes.StringType, true),
            DataTypes.createStructField(PartitionGenerator.HASH, DataTypes.StringType, true)));

    private static Dataset<Row> chunk(SparkSession spark, List<Integer> lengths) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < lengths.size(); i++) {
            rows.add(RowFactory.create(String.format("a-%04d", i), "t", lengths.get(i) == null ? null : "x".repeat(lengths.get(i)), "h"));
        }
        return spark.createDataFrame(rows, CHUNK).coalesce(1);
    }

    /** Per partition: its row count and its text length sum; checks that every id lands exactly once. */
    private static List<long[]> dealt(Dataset<Row> chunk, int tasks) {
        List<List<Row>> parts = TaskDealer.deal(chunk, tasks).glom().collect();
        assertEquals(tasks, parts.size(), "one partition per task");
        Set<String> ids = new HashSet<>();
        List<long[]> out = new ArrayList<>();
        for (List<Row> p : parts) {
            long sum = 0;
            for (Row r : p) {
                assertTrue(ids.add(r.getAs(PartitionGenerator.ID)), "dealt twice: " + r);
                String text = r.getAs(PartitionGenerator.TEXT);
                sum += text == null ? 0 : text.length();
            }
            out.add(new long[] {p.size(), sum});
        }
        assertEquals(chunk.count(), ids.size(), "every row is dealt");
        return out;
    }

    private static void assertBalanced(List<long[]> parts, long maxLength) {
        long minRows = parts.stream().mapToLong(p -> p[0]).min().orElseThrow();
        long maxRows = parts.stream().mapToLong(p -> p[0]).max().orElseThrow();
        long minSum = parts.stream().mapToLong(p -> p[1]).min().orElseThrow();
        long maxSum = parts.stream().mapToLong(p -> p[1]).max().orElseThrow();
        assertTrue(maxRows - minRows <= 1, "row counts differ by more than one: " + minRows + ".." + maxRows);
        assertTrue(maxSum - minSum <= maxLength, "length sums differ by more than one article: " + minSum + ".." + maxSum);
    }

    @Test
    void alternatingLongAndShortArticlesAreSplitEvenlyNotAllLongOnOneTask() {
        // In id order long and short alternate: dealing every other row, or by a count alone, could put all the long ones together.
        List<Integer> lengths = new ArrayList<>();
        for (int i = 0; i < 40; i++) lengths.add(i % 2 == 0 ? 2000 : 10);
        assertBalanced(dealt(chunk(LocalSpark.session(), lengths), 2), 2000);
    }

    @Test
    void mixedLengthsAndNullTextsFillExactlyTheTasksWithEqualCost() {
        Random random = new Random(7);
        List<Integer> lengths = new ArrayList<>();
        for (int i = 0; i < 203; i++) lengths.add(i % 50 == 0 ? null : 20 + random.nextInt(3000));
        for (int tasks : new int[] {1, 3, 8}) assertBalanced(dealt(chunk(LocalSpark.session(), lengths), tasks), 3020);
        // Fewer rows than tasks: each row gets its own task and the rest stay empty.
        List<long[]> few = dealt(chunk(LocalSpark.session(), List.of(5, 50, 500)), 8);
        assertEquals(3, few.stream().filter(p -> p[0] == 1).count());
    }

    @Test
    void theDealIsTheSnakeOverTheLengthRankWithoutMovingTheChunkToOnePartition() {
        // Ties in length (broken by id), null texts (ranked last) and a chunk spread over several input partitions.
        Random random = new Random(11);
        List<Integer> lengths = new ArrayList<>();
        for (int i = 0; i < 97; i++) lengths.add(i % 13 == 0 ? null : 10 * (1 + random.nextInt(20)));
        Dataset<Row> chunk = chunk(LocalSpark.session(), lengths).repartition(4);
        int tasks = 3;
        // The deal as specified: rank by (length desc, nulls last; id), then 0..n-1, n-1..0, ... over the tasks.
        List<Integer> byRank = new ArrayList<>();
        for (int i = 0; i < lengths.size(); i++) byRank.add(i);
        byRank.sort(Comparator.comparingInt((Integer i) -> lengths.get(i) == null ? -1 : lengths.get(i)).reversed()
                .thenComparing(i -> String.format("a-%04d", i)));
        List<Set<String>> expected = new ArrayList<>();
        for (int t = 0; t < tasks; t++) expected.add(new HashSet<>());
        for (int rank = 0; rank < byRank.size(); rank++) {
            int slot = rank % tasks;
            expected.get((rank / tasks) % 2 == 0 ? slot : tasks - 1 - slot).add(String.format("a-%04d", byRank.get(rank)));
        }
        StringWriter warnings = new StringWriter();
        List<List<Row>> parts;
        try (AutoCloseable capture = captureWarnings(warnings)) {
            parts = TaskDealer.deal(chunk, tasks).glom().collect();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        List<Set<String>> actual = new ArrayList<>();
        for (List<Row> p : parts) {
            Set<String> ids = new HashSet<>();
            for (Row r : p) ids.add(r.getAs(PartitionGenerator.ID));
            actual.add(ids);
        }
        assertEquals(expected, actual);
        assertFalse(warnings.toString().contains("No Partition Defined for Window"), warnings.toString());
    }

    /** Every logger's warnings while open, into {@code sink}. */
    private static AutoCloseable captureWarnings(StringWriter sink) {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        WriterAppender appender = WriterAppender.newBuilder().setName("dealer-capture-" + System.nanoTime()).setTarget(sink)
                .setLayout(PatternLayout.newBuilder().withPattern("%p %c %m%n").build()).build();
        appender.start();
        LoggerConfig root = ctx.getConfiguration().getRootLogger();
        root.addAppender(appender, Level.WARN, null);
        ctx.updateLoggers();
        return () -> {
            root.removeAppender(appender.getName());
            ctx.updateLoggers();
            appender.stop();
        };
    }

    @Test
    void noTasksIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TaskDealer.deal(chunk(LocalSpark.session(), List.of(1)), 0));
        assertTrue(e.getMessage().contains("0"), e.getMessage());
    }
}
