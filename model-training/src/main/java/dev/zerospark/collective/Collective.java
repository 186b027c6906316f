package dev.zerospark.collective;

import dev.zerospark.collective.internal.RingCollective;
import dev.zerospark.flat.FlatFloats;

/**
 * Collective operations among {@code worldSize} ranks on flat float32 buffers, over a TCP ring. Buffers are
 * {@link FlatFloats} indexed by long (a Java {@code float[]} is wrapped); data moves through the ring's bounded
 * per-frame staging buffers, never through a copy of the whole buffer.
 *
 * <p>All ranks must call the same operations in the same order with the same sizes. Reductions are sums with a
 * fixed order (each region is summed along the ring starting after its owner and finished by the owner, then
 * copied), so every rank gets bitwise-identical results. Every operation fails with a {@link PeerFailedException}
 * naming the culprit rather than hang; after any failure the collective is closed and unusable.
 */
public interface Collective extends AutoCloseable {

    /** Listens, rendezvouses, authenticates and connects the ring; blocks until every rank has joined. */
    static Collective connect(int rank, int worldSize, Rendezvous rendezvous, JobSecret secret,
                              CollectiveConfig config) {
        return RingCollective.connect(rank, worldSize, rendezvous, secret, config);
    }

    int rank();

    int worldSize();

    /** Sums {@code buf[offset, offset + length)} over all ranks, in place. */
    void allReduce(FlatFloats buf, long offset, long length);

    default void allReduce(float[] buf, long offset, long length) {
        allReduce(FlatFloats.wrap(buf), offset, length);
    }

    default void allReduce(float[] buf) {
        allReduce(buf, 0, buf.length);
    }

    /**
     * Sums every rank's region over all ranks, in place, on every rank: a reduce-scatter then an all-gather over
     * {@code ranges}, pipelined as one operation. Region r is finished by rank r, so the summation order (and the
     * bits) of an element depend only on which region it is in.
     */
    void allReduce(FlatFloats buf, ShardRanges ranges);

    default void allReduce(float[] buf, ShardRanges ranges) {
        allReduce(FlatFloats.wrap(buf), ranges);
    }

    /**
     * Sums each rank's region over all ranks into that region on its owner: afterwards rank r's region of
     * {@code buf} holds the sum; the rest of {@code buf} holds partial sums (garbage to the caller).
     */
    void reduceScatter(FlatFloats buf, ShardRanges ranges);

    default void reduceScatter(float[] buf, ShardRanges ranges) {
        reduceScatter(FlatFloats.wrap(buf), ranges);
    }

    /** {@link #reduceScatter(float[], ShardRanges)} with {@code ShardRanges.even(offset, length, worldSize())}. */
    default void reduceScatter(float[] buf, long offset, long length) {
        reduceScatter(buf, ShardRanges.even(offset, length, worldSize()));
    }

    /** Copies each rank's region of {@code buf} to the same region on every other rank. */
    void allGather(FlatFloats buf, ShardRanges ranges);

    default void allGather(float[] buf, ShardRanges ranges) {
        allGather(FlatFloats.wrap(buf), ranges);
    }

    default void allGather(float[] buf, long offset, long length) {
        allGather(buf, ShardRanges.even(offset, length, worldSize()));
    }

    /** Copies {@code buf[offset, offset + length)} of rank {@code root} to every rank. */
    void broadcast(FlatFloats buf, long offset, long length, int root);

    default void broadcast(float[] buf, long offset, long length, int root) {
        broadcast(FlatFloats.wrap(buf), offset, length, root);
    }

    /**
     * Sum of one double per rank, bit-identical on every rank: each value travels exactly as a (hi, lo) float pair
     * in one all-gather and every rank adds them in rank order in double precision (~48 significant bits).
     */
    default double sumAcrossRanks(double value) {
        int n = worldSize();
        float[] pairs = new float[2 * n];
        float hi = (float) value;
        pairs[2 * rank()] = hi;
        pairs[2 * rank() + 1] = (float) (value - hi);
        allGather(pairs, ShardRanges.even(0, 2 * n, n));
        double sum = 0;
        for (int r = 0; r < n; r++) {
            sum += (double) pairs[2 * r] + (double) pairs[2 * r + 1];
        }
        return sum;
    }

    /** Returns only once every rank has entered it. */
    void barrier();

    /**
     * This rank stops for {@code reason}, outside any operation (a config error, an exception in its own code):
     * both neighbours are told, so every peer's current or next operation fails naming this rank and the reason,
     * instead of "connection closed" with the cause lost. Later operations here fail; {@link #close()} still follows.
     */
    void abort(String reason);

    /** Closes the connections. Peers still in an operation with this rank fail fast. */
    @Override
    void close();
}
