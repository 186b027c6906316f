package dev.zerospark.training.spark;

import dev.zerospark.collective.Rendezvous;
import org.apache.spark.BarrierTaskContext;

import java.util.Arrays;
import java.util.List;

/** Rendezvous through Spark: {@code BarrierTaskContext.allGather} returns every task's message in partition order. */
public final class SparkRendezvous implements Rendezvous {
    private final BarrierTaskContext context;

    public SparkRendezvous(BarrierTaskContext context) {
        this.context = context;
    }

    @Override
    public List<String> allGather(String myInfo) {
        return Arrays.asList(context.allGather(myInfo));
    }
}
