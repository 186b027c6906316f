package dev.zerospark.training.spark;

import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Runs {@code worldSize} copies of a {@link BarrierTask} as one Spark barrier stage (gang-scheduled: every rank
 * starts, or the stage waits) and returns their results in rank order. If any task fails, Spark fails the whole
 * stage, which is what data-parallel training needs.
 */
public final class BarrierStage {
    private BarrierStage() {}

    public static <T extends Serializable> List<T> run(JavaSparkContext sc, int worldSize, BarrierTask<T> task) {
        if (worldSize < 1) throw new IllegalArgumentException("world size must be >= 1, got " + worldSize);
        List<Integer> ranks = IntStream.range(0, worldSize).boxed().toList();
        RDD<Integer> slots = sc.parallelize(ranks, worldSize).rdd();
        @SuppressWarnings("unchecked")
        ClassTag<T> tag = (ClassTag<T>) (ClassTag<?>) ClassTag$.MODULE$.apply(Serializable.class);
        RDD<T> results = slots.barrier().mapPartitions(new RankFunction<>(task), false, tag);
        Object collected = results.collect();
        @SuppressWarnings("unchecked")
        T[] array = (T[]) collected;
        List<T> out = new ArrayList<>(array.length);
        Collections.addAll(out, array);
        return out;
    }

    /** Adapts a Java task to the Scala {@code Iterator => Iterator} that RDDBarrier.mapPartitions expects. */
    private static final class RankFunction<T extends Serializable>
            extends scala.runtime.AbstractFunction1<Iterator<Integer>, Iterator<T>> implements Serializable {
        private final BarrierTask<T> task;

        RankFunction(BarrierTask<T> task) {
            this.task = task;
        }

        @Override
        public Iterator<T> apply(Iterator<Integer> ignored) {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            try {
                T result = task.run(ctx);
                return CollectionConverters.asScala(List.of(result).iterator());
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("rank " + ctx.partitionId() + " failed: " + e.getMessage(), e);
            }
        }
    }
}
