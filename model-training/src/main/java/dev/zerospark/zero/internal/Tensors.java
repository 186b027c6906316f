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
import java.nio.FloatBuffer;

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
     * Fills flat {@code t}'s elements {@code [at, at + n)}: {@code fill} puts exactly {@code n} values into the buffer
     * it is given, from its position 0. On the CPU that buffer is the tensor's own memory (each value is copied
     * once, straight into place); on another device a host array, then copied over by {@link #write}.
     */
    public static void fill(NDArray t, long at, int n, java.util.function.Consumer<FloatBuffer> fill) {
        if (n > 0 && t.getDevice().equals(Device.cpu())) {
            try (NDManager scope = t.getManager().newSubManager()) {
                FloatBuffer view = host(slice(t, at, n, scope), scope);
                if (view.isDirect()) { // the tensor's memory, not a copy that would drop what is put into it
                    fill.accept(view);
                    return;
                }
            }
        }
        float[] staging = new float[n];
        fill.accept(FloatBuffer.wrap(staging));
        write(t, at, staging, 0, n);
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

    /** Sum of squares of flat {@code t} in float64, chunk by chunk (chunks start at {@code t}'s first element). */
    public static double sumOfSquares(NDArray t) {
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
