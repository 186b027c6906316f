package dev.zerospark.collective.internal;

import dev.zerospark.collective.ShardRanges;

import java.util.ArrayList;
import java.util.List;

/**
 * What one rank sends to its next neighbour and receives from its previous one during one ring operation, as
 * two ordered lists of buffer segments. A send segment may depend on a receive segment: frame j of the send
 * goes out only once frame j of that receive has been folded into the buffer, which is what pipelines the ring.
 *
 * <p>Ring reduce-scatter (rank r, N ranks, step s = 0..N-2): send region r-s-1, receive region r-s-2 and add it.
 * Region c is therefore summed starting at rank c+1 and finished at its owner c, in a fixed order. All-gather
 * (step s): send region r-s, receive region r-s-1 and copy it. Each rank sends (N-1)/N of the buffer per phase.
 */
final class RingSchedule {
    /** A segment of the buffer; {@code dependsOn} is a receive-segment index or -1. */
    record Send(long offset, long length, int dependsOn) {}

    /** A segment of the buffer; {@code add} sums the incoming values into it, otherwise they replace it. */
    record Receive(long offset, long length, boolean add) {}

    final List<Send> sends;
    final List<Receive> receives;

    private RingSchedule(List<Send> sends, List<Receive> receives) {
        this.sends = sends;
        this.receives = receives;
    }

    static RingSchedule reduceScatter(ShardRanges ranges, int rank, boolean thenAllGather) {
        int n = ranges.worldSize();
        List<Send> sends = new ArrayList<>();
        List<Receive> receives = new ArrayList<>();
        for (int s = 0; s < n - 1; s++) {
            int sendRegion = Math.floorMod(rank - s - 1, n);
            int recvRegion = Math.floorMod(rank - s - 2, n);
            sends.add(new Send(ranges.offset(sendRegion), ranges.length(sendRegion), s == 0 ? -1 : s - 1));
            receives.add(new Receive(ranges.offset(recvRegion), ranges.length(recvRegion), true));
        }
        if (thenAllGather) {
            // The first all-gather send is this rank's own region, complete once the last reduce receive is.
            appendAllGather(ranges, rank, sends, receives, n - 2);
        }
        return new RingSchedule(List.copyOf(sends), List.copyOf(receives));
    }

    static RingSchedule allGather(ShardRanges ranges, int rank) {
        List<Send> sends = new ArrayList<>();
        List<Receive> receives = new ArrayList<>();
        appendAllGather(ranges, rank, sends, receives, -1);
        return new RingSchedule(List.copyOf(sends), List.copyOf(receives));
    }

    private static void appendAllGather(ShardRanges ranges, int rank, List<Send> sends, List<Receive> receives,
                                        int firstDependency) {
        int n = ranges.worldSize();
        int base = receives.size();
        for (int s = 0; s < n - 1; s++) {
            int sendRegion = Math.floorMod(rank - s, n);
            int recvRegion = Math.floorMod(rank - s - 1, n);
            sends.add(new Send(ranges.offset(sendRegion), ranges.length(sendRegion),
                    s == 0 ? firstDependency : base + s - 1));
            receives.add(new Receive(ranges.offset(recvRegion), ranges.length(recvRegion), false));
        }
    }

    /** A pipelined chain root, root+1, ..., root-1: each rank forwards a frame as soon as it has it. */
    static RingSchedule broadcast(long offset, long length, int root, int rank, int worldSize) {
        int position = Math.floorMod(rank - root, worldSize);
        List<Send> sends = new ArrayList<>();
        List<Receive> receives = new ArrayList<>();
        if (position > 0) {
            receives.add(new Receive(offset, length, false));
        }
        if (position < worldSize - 1) {
            sends.add(new Send(offset, length, position == 0 ? -1 : 0));
        }
        return new RingSchedule(List.copyOf(sends), List.copyOf(receives));
    }
}
