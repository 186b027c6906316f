package dev.zerospark.collective.internal;

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

    /** Number of frames a segment of {@code length} floats is cut into; an empty segment still sends one. */
    static int frames(int length, int frameFloats) {
        return length == 0 ? 1 : (length + frameFloats - 1) / frameFloats;
    }

    static int frameLength(int segmentLength, int frame, int frameFloats) {
        return Math.max(0, Math.min(frameFloats, segmentLength - frame * frameFloats));
    }
}
