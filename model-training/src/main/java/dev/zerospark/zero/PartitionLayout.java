package dev.zerospark.zero;

import dev.zerospark.collective.ShardRanges;

import java.util.ArrayList;
import java.util.List;

/**
 * How the flat buffer of all parameters is split over {@code worldSize} ranks, as ZeRO does it: the buffer of
 * {@code numel} elements is padded at the end to {@code paddedNumel}, a multiple of {@code worldSize * alignment},
 * and rank r owns the contiguous shard {@code [r * shardSize, (r + 1) * shardSize)}. A parameter may straddle
 * shards; {@link #pieces(long, long)} maps any range back to parameter pieces. Padding belongs to no parameter.
 * All sizes and offsets are 64-bit: the arithmetic holds for any model size, whatever then holds the values.
 */
public final class PartitionLayout {
    /**
     * The part of parameter {@code param} that lies in a range: flat elements {@code [flatOffset, flatOffset +
     * length)}, which are elements {@code [paramOffset, paramOffset + length)} of the parameter.
     */
    public record Piece(int param, long flatOffset, long length, long paramOffset) {}

    private final List<FlatParam> params;
    private final int worldSize;
    private final int alignment;
    private final long numel;
    private final long paddedNumel;

    private PartitionLayout(List<FlatParam> params, int worldSize, int alignment, long numel, long paddedNumel) {
        this.params = params;
        this.worldSize = worldSize;
        this.alignment = alignment;
        this.numel = numel;
        this.paddedNumel = paddedNumel;
    }

    /**
     * @param params parameters in buffer order, packed without gaps from offset 0
     * @param alignment shard sizes are a multiple of this many elements (DeepSpeed aligns to 2 * world size for
     *     fp16; 1 means no alignment beyond divisibility by the world size)
     */
    public static PartitionLayout of(List<FlatParam> params, int worldSize, int alignment) {
        if (worldSize < 1) {
            throw new IllegalArgumentException("world size must be >= 1, got " + worldSize);
        }
        if (alignment < 1) {
            throw new IllegalArgumentException("alignment must be >= 1, got " + alignment);
        }
        long at = 0;
        for (FlatParam p : params) {
            if (p.offset() != at) {
                throw new IllegalArgumentException("parameter " + p.name() + " starts at " + p.offset()
                        + ", expected " + at + ": parameters must be packed in order without gaps");
            }
            at = Math.addExact(at, p.numel());
        }
        long unit = (long) worldSize * alignment;
        long padded = Math.max(unit, Math.addExact(at, unit - 1) / unit * unit);
        return new PartitionLayout(List.copyOf(params), worldSize, alignment, at, padded);
    }

    public List<FlatParam> params() {
        return params;
    }

    public int worldSize() {
        return worldSize;
    }

    public int alignment() {
        return alignment;
    }

    /** Number of parameter elements (Psi). */
    public long numel() {
        return numel;
    }

    /** Length of the padded flat buffer, a multiple of {@code worldSize * alignment}. */
    public long paddedNumel() {
        return paddedNumel;
    }

    public long shardSize() {
        return paddedNumel / worldSize;
    }

    public long shardOffset(int rank) {
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank must be in [0, " + worldSize + "), got " + rank);
        }
        return rank * shardSize();
    }

    /** The shards as collective regions, for reduce-scatter and all-gather. */
    public ShardRanges shards() {
        return ShardRanges.even(0, paddedNumel, worldSize);
    }

    /** Pieces of parameters inside rank {@code rank}'s shard, in buffer order. */
    public List<Piece> pieces(int rank) {
        return pieces(shardOffset(rank), shardSize());
    }

    /** Pieces of parameters inside flat range {@code [offset, offset + length)}, in buffer order. */
    public List<Piece> pieces(long offset, long length) {
        long end = offset + length;
        List<Piece> pieces = new ArrayList<>();
        int i = firstParamEndingAfter(offset);
        for (; i < params.size() && params.get(i).offset() < end; i++) {
            FlatParam p = params.get(i);
            long from = Math.max(offset, p.offset());
            long to = Math.min(end, p.end());
            if (to > from) {
                pieces.add(new Piece(i, from, to - from, from - p.offset()));
            }
        }
        return pieces;
    }

    private int firstParamEndingAfter(long flat) {
        int lo = 0;
        int hi = params.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (params.get(mid).end() <= flat) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    @Override
    public String toString() {
        return "PartitionLayout[" + params.size() + " params, " + numel + " elements padded to " + paddedNumel
                + ", " + worldSize + " shards of " + shardSize() + "]";
    }
}
