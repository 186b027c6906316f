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
        FlatFloats.checkRange(this, from, n);
        long at = from;
        int done = 0;
        while (done < n) {
            int seg = (int) (at / segment);
            int in = (int) (at % segment);
            int k = Math.min(n - done, segment - in);
            float[] s = segments[seg];
            if (s == null) {
                java.util.Arrays.fill(dst, off + done, off + done + k, 0f);
            } else {
                System.arraycopy(s, in, dst, off + done, k);
            }
            at += k;
            done += k;
        }
    }

    @Override
    public void put(long at, float[] src, int off, int n) {
        FlatFloats.checkRange(this, at, n);
        long p = at;
        int done = 0;
        while (done < n) {
            int in = (int) (p % segment);
            int k = Math.min(n - done, segment - in);
            System.arraycopy(src, off + done, writable((int) (p / segment)), in, k);
            p += k;
            done += k;
        }
    }

    @Override
    public void get(long from, FloatBuffer dst, int n) {
        FlatFloats.checkRange(this, from, n);
        long p = from;
        int done = 0;
        while (done < n) {
            int in = (int) (p % segment);
            int k = Math.min(n - done, segment - in);
            float[] s = segments[(int) (p / segment)];
            if (s == null) {
                for (int i = 0; i < k; i++) {
                    dst.put(0f);
                }
            } else {
                dst.put(s, in, k);
            }
            p += k;
            done += k;
        }
    }

    @Override
    public void put(long at, FloatBuffer src, int n) {
        FlatFloats.checkRange(this, at, n);
        long p = at;
        int done = 0;
        while (done < n) {
            int in = (int) (p % segment);
            int k = Math.min(n - done, segment - in);
            src.get(writable((int) (p / segment)), in, k);
            p += k;
            done += k;
        }
    }

    @Override
    public void add(long at, float[] src, int off, int n) {
        FlatFloats.checkRange(this, at, n);
        long p = at;
        int done = 0;
        while (done < n) {
            int in = (int) (p % segment);
            int k = Math.min(n - done, segment - in);
            float[] s = writable((int) (p / segment));
            int from = off + done;
            for (int i = 0; i < k; i++) {
                s[in + i] += src[from + i];
            }
            p += k;
            done += k;
        }
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
