package dev.zerospark.training;

import dev.zerospark.collective.Collective;
import dev.zerospark.collective.ShardRanges;
import dev.zerospark.flat.FlatFloats;

/** Wraps a {@link Collective} and adds up the wall time spent in it, for the step-time breakdown. */
final class TimedCollective implements Collective {
    private final Collective inner;
    private long nanos;

    TimedCollective(Collective inner) {
        this.inner = inner;
    }

    /** Seconds spent in collective operations since the last call, then resets. */
    double takeSeconds() {
        double s = nanos / 1e9;
        nanos = 0;
        return s;
    }

    private void add(long start) {
        nanos += System.nanoTime() - start;
    }

    @Override public int rank() { return inner.rank(); }

    @Override public int worldSize() { return inner.worldSize(); }

    @Override
    public void allReduce(FlatFloats buf, long offset, long length) {
        long t = System.nanoTime();
        try { inner.allReduce(buf, offset, length); } finally { add(t); }
    }

    @Override
    public void allReduce(FlatFloats buf, ShardRanges ranges) {
        long t = System.nanoTime();
        try { inner.allReduce(buf, ranges); } finally { add(t); }
    }

    @Override
    public void reduceScatter(FlatFloats buf, ShardRanges ranges) {
        long t = System.nanoTime();
        try { inner.reduceScatter(buf, ranges); } finally { add(t); }
    }

    @Override
    public void allGather(FlatFloats buf, ShardRanges ranges) {
        long t = System.nanoTime();
        try { inner.allGather(buf, ranges); } finally { add(t); }
    }

    @Override
    public void broadcast(FlatFloats buf, long offset, long length, int root) {
        long t = System.nanoTime();
        try { inner.broadcast(buf, offset, length, root); } finally { add(t); }
    }

    @Override
    public void barrier() {
        long t = System.nanoTime();
        try { inner.barrier(); } finally { add(t); }
    }

    @Override
    public void abort(String reason) {
        inner.abort(reason);
    }

    @Override
    public void close() {
        inner.close();
    }
}
