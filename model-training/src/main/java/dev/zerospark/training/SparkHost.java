package dev.zerospark.training;

import dev.zerospark.collective.Rendezvous;
import dev.zerospark.training.spark.SparkRendezvous;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;

/** A rank hosted by a Spark barrier task: rank = partition id, rendezvous and barrier through the context. */
final class SparkHost implements RankTrainer.Host {
    private final BarrierTaskContext context;

    SparkHost(BarrierTaskContext context) {
        this.context = context;
    }

    @Override
    public int rank() {
        return context.partitionId();
    }

    @Override
    public Rendezvous rendezvous() {
        return new SparkRendezvous(context);
    }

    @Override
    public void barrier() {
        context.barrier();
    }

    /**
     * Where this rank listens for its ring neighbours: {@code spark.zerospark.bindAddress} if set, else
     * SPARK_LOCAL_IP, else the address Spark's block manager advertises for this executor.
     */
    @Override
    public String bindAddress() {
        String configured = SparkEnv.get().conf().get("spark.zerospark.bindAddress", null);
        if (configured != null) return configured;
        String local = System.getenv("SPARK_LOCAL_IP");
        if (local != null && !local.isBlank()) return local;
        return SparkEnv.get().blockManager().blockManagerId().host();
    }

    /** The first GPU address Spark gave this task, when the job asks for {@code spark.task.resource.gpu.amount}. */
    @Override
    public int gpu() {
        var gpu = context.resources().get("gpu");
        if (gpu.isEmpty() || gpu.get().addresses().length == 0) return -1;
        return Integer.parseInt(gpu.get().addresses()[0].trim());
    }
}
