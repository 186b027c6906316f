package dev.zerospark.training;

import dev.zerospark.collective.Rendezvous;

/**
 * A rank hosted outside Spark (benchmarks, tests): by a thread of this JVM over an in-memory rendezvous, or by a
 * process of its own over a file rendezvous ({@code bench memory}); the barrier is an all-gather, the ring loopback.
 */
class ThreadHost implements RankTrainer.Host {
    private final int rank;
    private final Rendezvous rendezvous;

    /** @param rendezvous this rank's share of the run's rendezvous ({@link dev.zerospark.collective.LocalRanks#hosted}) */
    ThreadHost(int rank, Rendezvous rendezvous) {
        this.rank = rank;
        this.rendezvous = rendezvous;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public Rendezvous rendezvous() {
        return rendezvous;
    }

    @Override
    public void barrier() {
        rendezvous.allGather("");
    }

    @Override
    public String bindAddress() {
        return "127.0.0.1";
    }
}
