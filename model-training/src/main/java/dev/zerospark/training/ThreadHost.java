package dev.zerospark.training;

import dev.zerospark.collective.InProcessRendezvous;
import dev.zerospark.collective.Rendezvous;

/** A rank hosted by a thread of this JVM (benchmarks, tests): rendezvous and barrier go through memory. */
final class ThreadHost implements RankTrainer.Host {
    private final int rank;
    private final Rendezvous rendezvous;

    ThreadHost(int rank, InProcessRendezvous shared) {
        this.rank = rank;
        this.rendezvous = shared.forRank(rank);
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
