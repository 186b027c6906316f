package dev.zerospark.flat.internal;

import dev.zerospark.flat.FlatFloats;
import java.nio.FloatBuffer;

/** A {@link FlatFloats} over one Java array: the buffer of a model below 2^31 elements. */
public final class HeapFloats implements FlatFloats {
    private final float[] a;

    public HeapFloats(float[] array) {
        this.a = array;
    }

    @Override
    public long length() {
        return a.length;
    }

    @Override
    public float get(long index) {
        return a[index(index)];
    }

    @Override
    public void set(long index, float value) {
        a[index(index)] = value;
    }

    @Override
    public void get(long from, float[] dst, int off, int n) {
        FlatFloats.checkRange(this, from, n);
        System.arraycopy(a, (int) from, dst, off, n);
    }

    @Override
    public void put(long at, float[] src, int off, int n) {
        FlatFloats.checkRange(this, at, n);
        System.arraycopy(src, off, a, (int) at, n);
    }

    @Override
    public void get(long from, FloatBuffer dst, int n) {
        FlatFloats.checkRange(this, from, n);
        dst.put(a, (int) from, n);
    }

    @Override
    public void put(long at, FloatBuffer src, int n) {
        FlatFloats.checkRange(this, at, n);
        src.get(a, (int) at, n);
    }

    @Override
    public void add(long at, float[] src, int off, int n) {
        FlatFloats.checkRange(this, at, n);
        int base = (int) at;
        for (int i = 0; i < n; i++) {
            a[base + i] += src[off + i];
        }
    }

    @Override
    public float[] array() {
        return a;
    }

    private int index(long index) {
        if (index < 0 || index >= a.length) {
            throw new IndexOutOfBoundsException("index " + index + " is outside " + this + " of " + a.length
                    + " elements");
        }
        return (int) index;
    }

    @Override
    public String toString() {
        return "heap buffer";
    }
}
