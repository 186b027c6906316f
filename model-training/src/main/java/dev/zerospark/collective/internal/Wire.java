package dev.zerospark.collective.internal;

import dev.zerospark.flat.Chunks;

/**
 * Frame format on a ring connection (little-endian): an 8-byte header {@code [int count][int tag]} then
 * {@code count} float32 values. Negative counts are control frames: {@link #KEEPALIVE} (tag = op sequence) says
 * "I am alive and inside the operation"; {@link #ABORT} (tag = culprit rank) is followed by
 * {@code [int byteLength][UTF-8 message]} and tells the receiver the ring is broken. The reverse direction of
 * each connection (receiver to sender) carries only ABORT frames. With the frame MAC on, data and KEEPALIVE frames
 * are followed by a 32-byte {@link FrameMac} tag; ABORT frames are not, since an abort only stops the job, which
 * anyone able to alter the stream can do anyway by dropping it, and it must still go out when state is broken.
 */
final class Wire {
    static final int HEADER_BYTES = 8;
    static final int ABORT = -1;
    static final int KEEPALIVE = -2;
    static final int MAX_ABORT_MESSAGE_BYTES = 4096;

    private Wire() {}

    /**
     * Number of frames a segment of {@code length} floats is cut into; an empty segment still sends one. Long: a
     * segment of a large model's buffer may pass 2^31 floats, and frame starts with it.
     */
    static long frames(long length, int frameFloats) {
        return length == 0 ? 1 : new Chunks(length, frameFloats).count();
    }

    static int frameLength(long segmentLength, long frame, int frameFloats) {
        return (int) Math.max(0, Math.min(frameFloats, segmentLength - frame * frameFloats));
    }

    /** Where frame {@code frame} of a segment starting at {@code segmentOffset} starts in the buffer. */
    static long frameStart(long segmentOffset, long frame, int frameFloats) {
        return segmentOffset + frame * frameFloats;
    }
}
