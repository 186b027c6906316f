package dev.zerospark.data.generate.internal;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.length;

import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * Deals one chunk's articles to exactly {@code tasks} partitions by cost, so that the chunk's tasks end together
 * instead of one core idling while the slowest task finishes. The cost proxy is the text's length: sorted longest
 * first, the articles are dealt in snake order (0..n-1, n-1..0, ...), so every task gets the same count (±1) and a
 * length sum within one article's length of every other's. A row's task is an explicit index placed by
 * {@link IndexPartitioner}; hash partitioning of small ints would put several indices in one partition.
 *
 * <p>The rank is a distributed sort (range-partitioned) numbered by {@code zipWithIndex}, not a window without
 * {@code partitionBy}, which moves the whole chunk to one partition (and says so in a warning on every chunk).
 */
public final class TaskDealer {
    private TaskDealer() {}

    /** The chunk's rows (columns of {@link PartitionGenerator}), in {@code tasks} partitions of about equal cost. */
    public static JavaRDD<Row> deal(Dataset<Row> chunk, int tasks) {
        if (tasks < 1) throw new IllegalArgumentException("tasks must be >= 1, got " + tasks);
        // Ids are unique within a chunk, so the order is total and a retried task sees the same ranks.
        Dataset<Row> ranked = chunk.orderBy(length(col(PartitionGenerator.TEXT)).desc_nulls_last(), col(PartitionGenerator.ID));
        return ranked.javaRDD().zipWithIndex().mapToPair(r -> new Tuple2<>(task(r._2(), tasks), r._1()))
                .partitionBy(new IndexPartitioner(tasks)).values();
    }

    /** The task of the article ranked {@code rank} (0 = longest): snake order over {@code tasks}. */
    static int task(long rank, int tasks) {
        int slot = (int) (rank % tasks);
        return (rank / tasks) % 2 == 0 ? slot : tasks - 1 - slot;
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
