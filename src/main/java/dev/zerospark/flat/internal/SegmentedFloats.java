package dev.zerospark.flat.internal;

import dev.zerospark.flat.FlatFloats;
import java.nio.FloatBuffer;

/**
 * A {@link FlatFloats} of fixed-size {@code float[]} segments: element i lives in segment {@code i / segment} at
 * {@code i % segment}, so its length is bounded by the segment count times the segment size, not by one array.
 * Segments are allocated on first write; an unwritten one reads as zeros.
 */
public final class SegmentedFloats implements FlatFloats {
    private final long length;
    private final int segment;
    private final float[][] segments;

    private SegmentedFloats(long length, int segment, float[][] segments) {
        this.length = length;
        this.segment = segment;
        this.segments = segments;
    }

    public static SegmentedFloats of(long length, int segmentFloats) {
        if (length < 0) {
            throw new IllegalArgumentException("buffer length must be >= 0, got " + length);
        }
        if (segmentFloats < 1) {
            throw new IllegalArgumentException("segment size must be >= 1 element, got " + segmentFloats);
        }
        long count = (length + segmentFloats - 1) / segmentFloats;
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(length + " elements need " + count + " segments of " + segmentFloats
                    + ", more than one segment table holds; use larger segments");
        }
        return new SegmentedFloats(length, segmentFloats, new float[(int) count][]);
    }

    @Override
    public long length() {
        return length;
    }

    /** Number of segments allocated so far (written at least once). */
    public int allocatedSegments() {
        int n = 0;
        for (float[] s : segments) {
            if (s != null) {
                n++;
            }
        }
        return n;
    }

    @Override
    public float get(long index) {
        FlatFloats.checkRange(this, index, 1);
        float[] s = segments[(int) (index / segment)];
        return s == null ? 0f : s[(int) (index % segment)];
    }

    @Override
    public void set(long index, float value) {
        FlatFloats.checkRange(this, index, 1);
        writable((int) (index / segment))[(int) (index % segment)] = value;
    }

    @Override
    public void get(long from, float[] dst, int off, int n) {
        pieces(from, n, (s, in, done, k) -> {
            if (s == null) {
                java.util.Arrays.fill(dst, off + done, off + done + k, 0f);
            } else {
                System.arraycopy(s, in, dst, off + done, k);
            }
        });
    }

    @Override
    public void put(long at, float[] src, int off, int n) {
        writablePieces(at, n, (s, in, done, k) -> System.arraycopy(src, off + done, s, in, k));
    }

    @Override
    public void get(long from, FloatBuffer dst, int n) {
        pieces(from, n, (s, in, done, k) -> {
            if (s == null) {
                for (int i = 0; i < k; i++) {
                    dst.put(0f);
                }
            } else {
                dst.put(s, in, k);
            }
        });
    }

    @Override
    public void put(long at, FloatBuffer src, int n) {
        writablePieces(at, n, (s, in, done, k) -> src.get(s, in, k));
    }

    @Override
    public void add(long at, float[] src, int off, int n) {
        writablePieces(at, n, (s, in, done, k) -> {
            int from = off + done;
            for (int i = 0; i < k; i++) {
                s[in + i] += src[from + i];
            }
        });
    }

    /** One segment's part of a range: elements {@code [in, in + k)} of {@code segment}, {@code done} into the range. */
    @FunctionalInterface
    private interface Piece {
        void apply(float[] segment, int in, int done, int k);
    }

    /** Walks {@code [at, at + n)} segment by segment; an unwritten segment comes as null. */
    private void pieces(long at, int n, Piece piece) {
        FlatFloats.checkRange(this, at, n);
        long p = at;
        int done = 0;
        while (done < n) {
            int in = (int) (p % segment);
            int k = Math.min(n - done, segment - in);
            piece.apply(segments[(int) (p / segment)], in, done, k);
            p += k;
            done += k;
        }
    }

    /** {@link #pieces} with every segment of the range allocated first. */
    private void writablePieces(long at, int n, Piece piece) {
        pieces(at, n, (s, in, done, k) -> piece.apply(s != null ? s : writable((int) ((at + done) / segment)), in, done, k));
    }

    private float[] writable(int seg) {
        float[] s = segments[seg];
        if (s == null) {
            // The last segment is only as long as what is left, so the buffer never holds more than length.
            s = new float[(int) Math.min(segment, length - (long) seg * segment)];
            segments[seg] = s;
        }
        return s;
    }

    @Override
    public String toString() {
        return "segmented buffer (" + segments.length + " segments of " + segment + ")";
    }
}
