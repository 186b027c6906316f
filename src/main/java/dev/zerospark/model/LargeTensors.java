package dev.zerospark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Builds fp32 tensors of any size in libtorch's own memory.
 *
 * <p>DJL's {@code NDManager.create(float[], Shape)} copies the values into a fresh direct {@link ByteBuffer} and
 * hands libtorch a view of it ({@code from_blob}): the tensor's memory is then that Java buffer, which only a GC
 * frees, however early the tensor is closed, and which counts against {@code -XX:MaxDirectMemorySize} (by default
 * the heap size) for as long as the model lives. A 0.7B model's fp32 weights alone would need 2.8 GB of direct
 * memory, and weights cast to bf16 would leave their fp32 buffers behind until some GC. DJL also sizes that buffer
 * as {@code elements * 4} in int, which overflows past 2^29 elements.
 *
 * <p>So a tensor is allocated by libtorch ({@code zeros}) and filled a bounded piece at a time through one
 * per-thread direct staging buffer that DJL views and libtorch copies out of: closing the tensor frees its memory,
 * and direct memory stays at one staging buffer per loading thread whatever the model's size.
 */
final class LargeTensors {
    /** Elements per piece: 16 MiB of fp32 per loading thread. */
    static final int MAX_CREATE_ELEMENTS = 1 << 22;

    private static final ThreadLocal<ByteBuffer> STAGING = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect(4 * MAX_CREATE_ELEMENTS).order(ByteOrder.nativeOrder()));

    /** Supplies elements {@code [from, from + n)} of the tensor, row-major, into {@code dst[0, n)}. */
    interface ElementReader {
        void read(long from, float[] dst, int n) throws IOException;
    }

    private LargeTensors() {}

    /** A tensor of {@code shape} in {@code manager}, filled by {@code reader} in pieces of at most {@code maxChunk}. */
    static NDArray create(NDManager manager, Shape shape, ElementReader reader, int maxChunk) throws IOException {
        long total = shape.size();
        int piece = Math.max(1, Math.min(maxChunk, MAX_CREATE_ELEMENTS));
        float[] values = new float[(int) Math.min(total, piece)];
        ByteBuffer staging = STAGING.get();
        try (GradMode off = GradMode.off()) { // a plain fill, not an autograd node
            NDArray flat = manager.zeros(new Shape(total), DataType.FLOAT32);               // libtorch's memory
            try {
                for (long from = 0; from < total; from += piece) {
                    int n = (int) Math.min(piece, total - from);
                    reader.read(from, values, n);
                    staging.clear().limit(4 * n);
                    staging.asFloatBuffer().put(values, 0, n);
                    try (NDManager views = manager.newSubManager();
                         NDArray view = views.create(staging, new Shape(n), DataType.FLOAT32)) { // views staging
                        flat.set(new NDIndex(from + ":" + (from + n)), view);                     // copies out of it
                    }
                }
                NDArray out = flat.reshape(shape);
                flat.close(); // the reshaped tensor keeps the storage
                return out;
            } catch (IOException | RuntimeException e) {
                flat.close();
                throw e;
            }
        }
    }
}
