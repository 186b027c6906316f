package dev.zerospark.data.generate.internal;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.when;

import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import scala.Tuple2;

/**
 * Deals one chunk's articles to exactly {@code tasks} partitions by cost, so that the chunk's tasks end together
 * instead of one core idling while the slowest task finishes. The cost proxy is the text's length: sorted longest
 * first, the articles are dealt in snake order (0..n-1, n-1..0, ...), so every task gets the same count (±1) and a
 * length sum within one article's length of every other's. A row's task is an explicit index placed by
 * {@link IndexPartitioner}; hash partitioning of small ints would put several indices in one partition.
 */
public final class TaskDealer {
    /** The row's 0-based rank by length, longest first, and its task: columns the dealt rows carry along. */
    static final String RANK = "_zs_rank";
    static final String TASK = "_zs_task";

    private TaskDealer() {}

    /** The chunk's rows (columns of {@link PartitionGenerator}), in {@code tasks} partitions of about equal cost. */
    public static JavaRDD<Row> deal(Dataset<Row> chunk, int tasks) {
        if (tasks < 1) throw new IllegalArgumentException("tasks must be >= 1, got " + tasks);
        // One chunk (tasks x rows_per_task articles) is ranked in one partition: a window without partitionBy.
        Column rank = row_number().over(Window.orderBy(length(col(PartitionGenerator.TEXT)).desc_nulls_last(),
                col(PartitionGenerator.ID))).minus(1);
        Column round = rank.divide(tasks).cast("long");
        Column slot = pmod(rank, lit(tasks));
        Column task = when(pmod(round, lit(2)).equalTo(0), slot).otherwise(lit(tasks - 1).minus(slot)).cast("int");
        Dataset<Row> ranked = chunk.withColumn(RANK, rank).withColumn(TASK, task);
        int taskField = ranked.schema().fieldIndex(TASK);
        return ranked.javaRDD().mapToPair(r -> new Tuple2<>(r.getInt(taskField), r))
                .partitionBy(new IndexPartitioner(tasks)).values();
    }

    /** Places a row keyed by its task index in that partition. */
    static final class IndexPartitioner extends Partitioner {
        private static final long serialVersionUID = 1L;
        private final int partitions;

        IndexPartitioner(int partitions) {
            this.partitions = partitions;
        }

        @Override
        public int numPartitions() {
            return partitions;
        }

        @Override
        public int getPartition(Object key) {
            int task = (Integer) key;
            if (task < 0 || task >= partitions) throw new IllegalArgumentException("task index " + task + " is outside 0.." + (partitions - 1));
            return task;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof IndexPartitioner p && p.partitions == partitions;
        }

        @Override
        public int hashCode() {
            return partitions;
        }
    }
}
