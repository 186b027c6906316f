package dev.zerospark.collective;

/**
 * Tells every rank where the others listen. In production this is Spark's {@code BarrierTaskContext.allGather}
 * (partition id = rank); in tests it is {@link InProcessRendezvous}.
 */
public interface Rendezvous {
    /**
     * Publishes {@code myInfo} and returns every rank's info, indexed by rank (this rank's own included). Blocks
     * until all ranks have called it.
     */
    java.util.List<String> allGather(String myInfo);
}
