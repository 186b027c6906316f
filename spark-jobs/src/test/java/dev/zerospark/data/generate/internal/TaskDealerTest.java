package dev.zerospark.data.generate.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.testing.LocalSpark;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
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
    void noTasksIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TaskDealer.deal(chunk(LocalSpark.session(), List.of(1)), 0));
        assertTrue(e.getMessage().contains("0"), e.getMessage());
    }
}
