package dev.zerospark.zero.internal;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The few tensor moves the optimizer needs on flat 1-D fp32 tensors: views, zero-filled allocation of any length,
 * and bounded host transfers. Every view and temporary is attached to the caller's scope, which frees it.
 */
public final class Tensors {
    /** Elements one host transfer moves at most (4 MiB of fp32): what bounds the staging of a state read or write. */
    public static final int CHUNK = 1 << 20;

    private Tensors() {}

    /**
     * {@code length} fp32 zeros on {@code manager}'s device. libtorch sizes it from the long shape, so lengths past
     * 2^31 are fine (DJL's {@code create} from Java data multiplies in int).
     */
    public static NDArray zeros(NDManager manager, long length) {
        return JniUtils.createZerosNdArray((PtNDManager) manager, new Shape(length), DataType.FLOAT32,
                manager.getDevice(), ai.djl.ndarray.types.SparseFormat.DENSE);
    }

    /** {@code length} uninitialized fp32 elements on {@code manager}'s device, for a caller that writes them all. */
    public static NDArray empty(NDManager manager, long length) {
        return JniUtils.createEmptyNdArray((PtNDManager) manager, new Shape(length), DataType.FLOAT32,
                manager.getDevice(), ai.djl.ndarray.types.SparseFormat.DENSE);
    }

    /** Elements {@code [from, from + n)} of flat {@code t} as a view (shares storage), attached to {@code scope}. */
    public static NDArray slice(NDArray t, long from, long n, NDManager scope) {
        if (from < 0 || n < 0 || from > t.size() - n) {
            throw new IndexOutOfBoundsException("slice [" + from + ", +" + n + ") is outside a tensor of " + t.size()
                    + " elements");
        }
        NDArray view = JniUtils.slice((PtNDArray) t, 0, from, from + n, 1);
        view.attach(scope);
        return view;
    }

    /** {@code dst[:] = src} in place (torch copy_, across devices, with a cast to dst's dtype). */
    public static void copy(NDArray dst, NDArray src) {
        dst.set(new NDIndex(":"), src);
    }

    /** {@code dst[:] = 0}. Unlike multiplying by 0 this also clears NaN and infinity. */
    public static void zero(NDArray dst) {
        dst.set(new NDIndex(":"), 0f);
    }

    /**
     * Copies flat {@code t}'s elements {@code [from, from + n)} into {@code dst[off, off + n)} in chunks of at most
     * {@link #CHUNK}: on the CPU straight from the tensor's native memory, from another device through one
     * chunk-sized host copy at a time.
     */
    public static void read(NDArray t, long from, float[] dst, int off, int n) {
        try (NDManager scope = t.getManager().newSubManager()) {
            for (int done = 0; done < n; ) {
                int len = Math.min(CHUNK, n - done);
                try (NDManager chunk = scope.newSubManager()) {
                    host(slice(t, from + done, len, chunk), chunk).get(0, dst, off + done, len);
                }
                done += len;
            }
        }
    }

    /**
     * Copies {@code src[off, off + n)} into flat {@code t}'s elements {@code [at, at + n)}: on the CPU straight into
     * the tensor's native memory (one copy; a resume writes every state element through here), on another device in
     * bounded chunks through a temporary host tensor each.
     */
    public static void write(NDArray t, long at, float[] src, int off, int n) {
        if (n > 0 && t.getDevice().equals(Device.cpu())) {
            try (NDManager scope = t.getManager().newSubManager()) {
                FloatBuffer view = host(slice(t, at, n, scope), scope);
                // A view of the tensor's memory, as NativeAdamW writes through; a copy (not direct) would drop the write.
                if (view.isDirect()) {
                    view.put(src, off, n);
                    return;
                }
            }
        }
        try (NDManager scope = t.getManager().newSubManager()) {
            for (int done = 0; done < n; ) {
                int len = Math.min(CHUNK, n - done);
                try (NDManager chunk = scope.newSubManager()) {
                    NDArray values = chunk.create(FloatBuffer.wrap(src, off + done, len), new Shape(len));
                    copy(slice(t, at + done, len, chunk), values);
                }
                done += len;
            }
        }
    }

    /**
     * Fills flat {@code t}'s elements {@code [at, at + n)}: {@code fill} puts exactly {@code 4 n} bytes, the values in
     * little-endian order, into the buffer it is given, from its position 0. On the CPU of a little-endian host that
     * buffer is the tensor's own memory, so a reader can put each value straight into place (a positioned file read
     * lands in it with no copy on the heap); on another device it is a host buffer, then copied over by {@link #write}.
     */
    public static void fill(NDArray t, long at, int n, java.util.function.Consumer<ByteBuffer> fill) {
        if (n > Integer.MAX_VALUE / Float.BYTES) throw new IllegalArgumentException(n + " elements do not fit one buffer");
        if (n > 0 && t.getDevice().equals(Device.cpu()) && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            try (NDManager scope = t.getManager().newSubManager()) {
                ByteBuffer view = slice(t, at, n, scope).toByteBuffer(true);
                if (view.isDirect()) { // the tensor's memory, not a copy that would drop what is put into it
                    fill.accept(view.order(ByteOrder.LITTLE_ENDIAN));
                    return;
                }
            }
        }
        ByteBuffer staging = ByteBuffer.allocate(Float.BYTES * n).order(ByteOrder.LITTLE_ENDIAN);
        fill.accept(staging);
        float[] values = new float[n];
        staging.flip().asFloatBuffer().get(values);
        write(t, at, values, 0, n);
    }

    /**
     * A direct view of a contiguous CPU fp32 tensor's native memory; for another device, of a host copy attached to
     * {@code scope}. The view starts at the tensor's first element (its storage offset included).
     */
    public static FloatBuffer host(NDArray t, NDManager scope) {
        NDArray cpu = t;
        if (!t.getDevice().equals(Device.cpu())) {
            cpu = t.toDevice(Device.cpu(), true);
            cpu.attach(scope);
        }
        return cpu.toByteBuffer(true).asFloatBuffer();
    }

    /**
     * Sum of squares of flat {@code t} in float64. On the CPU it reads the fp32 values in place, in fixed blocks of
     * {@link #SQUARES_BLOCK} whose partial sums add up in block order, the blocks shared between libtorch's intra-op
     * thread count of workers: one read pass, where the tensor ops (a float64 copy, a product, a sum per chunk) made
     * three with two temporaries (bench train-step, 2 threads: 4-7 ms before, about 3 ms now). The result does not
     * depend on the thread count; it differs from a sequential sum only in the double rounding of the additions.
     */
    public static double sumOfSquares(NDArray t) {
        if (!t.getDevice().equals(Device.cpu()) || t.getDataType() != DataType.FLOAT32) {
            return deviceSumOfSquares(t);
        }
        long size = t.size();
        int blocks = Math.toIntExact((size + SQUARES_BLOCK - 1) / SQUARES_BLOCK);
        double[] partial = new double[blocks];
        try (NDManager scope = t.getManager().newSubManager()) {
            // direct views of at most SQUARES_VIEW elements (a buffer addresses < 2 GiB), each a whole number of blocks
            List<FloatBuffer> views = new ArrayList<>();
            for (long at = 0; at < size; at += SQUARES_VIEW) {
                views.add(slice(t, at, Math.min(SQUARES_VIEW, size - at), scope).toByteBuffer(true).asFloatBuffer());
            }
            int workers = Math.max(1, Math.min(JniUtils.getNumThreads(), blocks));
            IntStream.range(0, workers).parallel().forEach(k -> {
                float[] buf = new float[SQUARES_BLOCK];
                for (int b = k; b < blocks; b += workers) {
                    long at = (long) b * SQUARES_BLOCK;
                    int n = (int) Math.min(SQUARES_BLOCK, size - at);
                    views.get((int) (at / SQUARES_VIEW)).get((int) (at % SQUARES_VIEW), buf, 0, n);
                    partial[b] = blockSumOfSquares(buf, n);
                }
            });
        }
        double sum = 0;
        for (double p : partial) {
            sum += p;
        }
        return sum;
    }

    /** Elements per partial sum of {@link #sumOfSquares} (a fixed split: the result is the same for any threads). */
    static final int SQUARES_BLOCK = 1 << 16;
    /** Elements of one direct view in {@link #sumOfSquares}: 1 GiB of fp32, a whole number of blocks. */
    private static final long SQUARES_VIEW = 1L << 28;

    /** Sum of squares of {@code x[0, n)} in double, four interleaved accumulators added at the end. */
    private static double blockSumOfSquares(float[] x, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += (double) x[i] * x[i];
            s1 += (double) x[i + 1] * x[i + 1];
            s2 += (double) x[i + 2] * x[i + 2];
            s3 += (double) x[i + 3] * x[i + 3];
        }
        for (; i < n; i++) {
            s0 += (double) x[i] * x[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** {@link #sumOfSquares} off the CPU (or for another dtype): tensor ops in float64, chunk by chunk. */
    private static double deviceSumOfSquares(NDArray t) {
        double sum = 0;
        try (NDManager scope = t.getManager().newSubManager()) {
            for (long at = 0; at < t.size(); at += CHUNK) {
                try (NDManager chunk = scope.newSubManager()) {
                    NDArray d = slice(t, at, Math.min(CHUNK, t.size() - at), chunk).toType(DataType.FLOAT64, true);
                    sum += d.mul(d).sum().getDouble();
                }
            }
        }
        return sum;
    }
}
