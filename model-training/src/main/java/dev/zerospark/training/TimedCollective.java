package dev.zerospark.training;

import dev.zerospark.collective.Collective;
import dev.zerospark.collective.ShardRanges;

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
    public void allReduce(float[] buf, int offset, int length) {
        long t = System.nanoTime();
        try { inner.allReduce(buf, offset, length); } finally { add(t); }
    }

    @Override
    public void allReduce(float[] buf, ShardRanges ranges) {
        long t = System.nanoTime();
        try { inner.allReduce(buf, ranges); } finally { add(t); }
    }

    @Override
    public void reduceScatter(float[] buf, ShardRanges ranges) {
        long t = System.nanoTime();
        try { inner.reduceScatter(buf, ranges); } finally { add(t); }
    }

    @Override
    public void allGather(float[] buf, ShardRanges ranges) {
        long t = System.nanoTime();
        try { inner.allGather(buf, ranges); } finally { add(t); }
    }

    @Override
    public void broadcast(float[] buf, int offset, int length, int root) {
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
