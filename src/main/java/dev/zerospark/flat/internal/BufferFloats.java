package dev.zerospark.flat.internal;

import dev.zerospark.flat.FlatFloats;
import java.nio.FloatBuffer;

/**
 * A {@link FlatFloats} over a {@link FloatBuffer}: with a direct buffer over a CPU tensor's native memory, the
 * collective reads and writes the tensor itself (no copy). Absolute indexing only: the buffer's position is unused.
 */
public final class BufferFloats implements FlatFloats {
    private final FloatBuffer b;

    public BufferFloats(FloatBuffer buffer) {
        this.b = buffer;
    }

    @Override
    public long length() {
        return b.capacity();
    }

    @Override
    public float get(long index) {
        FlatFloats.checkRange(this, index, 1);
        return b.get((int) index);
    }

    @Override
    public void set(long index, float value) {
        FlatFloats.checkRange(this, index, 1);
        b.put((int) index, value);
    }

    @Override
    public void get(long from, float[] dst, int off, int n) {
        FlatFloats.checkRange(this, from, n);
        b.get((int) from, dst, off, n);
    }

    @Override
    public void put(long at, float[] src, int off, int n) {
        FlatFloats.checkRange(this, at, n);
        b.put((int) at, src, off, n);
    }

    @Override
    public void get(long from, FloatBuffer dst, int n) {
        FlatFloats.checkRange(this, from, n);
        dst.put(b.slice((int) from, n));
    }

    @Override
    public void put(long at, FloatBuffer src, int n) {
        FlatFloats.checkRange(this, at, n);
        FloatBuffer part = src.slice(src.position(), n);
        b.put((int) at, part, 0, n);
        src.position(src.position() + n);
    }

    @Override
    public void add(long at, float[] src, int off, int n) {
        FlatFloats.checkRange(this, at, n);
        int base = (int) at;
        for (int i = 0; i < n; i++) {
            b.put(base + i, b.get(base + i) + src[off + i]);
        }
    }

    @Override
    public String toString() {
        return (b.isDirect() ? "direct" : "heap") + " float buffer";
    }
}
