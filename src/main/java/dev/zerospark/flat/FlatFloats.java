package dev.zerospark.flat;

import dev.zerospark.flat.internal.BufferFloats;
import dev.zerospark.flat.internal.HeapFloats;
import dev.zerospark.flat.internal.SegmentedFloats;
import java.nio.FloatBuffer;

/**
 * A flat fp32 buffer indexed by {@code long}: what parameter, gradient and collective buffers are once a model has
 * more than 2^31 elements, which no Java array holds. Bulk reads and writes move bounded chunks through
 * caller-owned {@code float[]} staging arrays, so no operation needs a buffer the size of the whole.
 */
public interface FlatFloats {
    /** Number of elements. */
    long length();

    float get(long index);

    void set(long index, float value);

    /** Copies elements {@code [from, from + n)} into {@code dst[off, off + n)}. */
    void get(long from, float[] dst, int off, int n);

    /** Copies {@code src[off, off + n)} into elements {@code [at, at + n)}. */
    void put(long at, float[] src, int off, int n);

    /** Copies elements {@code [from, from + n)} into {@code dst} at its position, advancing it (no staging). */
    void get(long from, FloatBuffer dst, int n);

    /** Copies {@code n} floats from {@code src}'s position into elements {@code [at, at + n)}, advancing it. */
    void put(long at, FloatBuffer src, int n);

    /** Adds {@code src[off, off + n)} to elements {@code [at, at + n)}, element by element in fp32. */
    void add(long at, float[] src, int off, int n);

    /** The whole buffer as one Java array of {@code length()} elements when it is one, else null. */
    default float[] array() {
        return null;
    }

    /** A view of {@code array} (no copy). */
    static FlatFloats wrap(float[] array) {
        return new HeapFloats(array);
    }

    /** A view of {@code buffer}'s elements {@code [0, capacity)} (no copy; a direct buffer stays native memory). */
    static FlatFloats wrap(FloatBuffer buffer) {
        return new BufferFloats(buffer);
    }

    /**
     * {@code length} zeros in segments of {@code segmentFloats} elements each. A segment is allocated on its first
     * write, so a buffer that is only touched in a few places costs only those segments.
     */
    static FlatFloats segmented(long length, int segmentFloats) {
        return SegmentedFloats.of(length, segmentFloats);
    }

    /** Throws naming the buffer when {@code [from, from + n)} is not inside {@code [0, length)}. */
    static void checkRange(FlatFloats buf, long from, long n) {
        if (from < 0 || n < 0 || from > buf.length() - n) {
            throw new IndexOutOfBoundsException("range [" + from + ", +" + n + ") is outside " + buf + " of "
                    + buf.length() + " elements");
        }
    }
}
