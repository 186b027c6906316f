package dev.zerospark.training.spark;

import org.apache.spark.BarrierTaskContext;

import java.io.Serializable;

/** The body of one rank in a Spark barrier stage. Rank = partition id; all ranks start together or not at all. */
@FunctionalInterface
public interface BarrierTask<T extends Serializable> extends Serializable {
    T run(BarrierTaskContext context) throws Exception;
}
