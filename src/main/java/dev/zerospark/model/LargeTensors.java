package dev.zerospark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.zerospark.flat.Chunks;
import java.io.IOException;

/**
 * Builds fp32 tensors of any size. DJL's {@code NDManager.create(float[], Shape)} sizes its direct buffer as
 * {@code elements * 4} in int, which overflows past 2^29 elements (and no Java array passes 2^31); so a large
 * tensor is created as 1-D pieces of bounded size, concatenated by libtorch and reshaped.
 */
final class LargeTensors {
    /** Elements per created piece: 1 GiB of fp32, well below DJL's 2^29 overflow. */
    static final int MAX_CREATE_ELEMENTS = 1 << 28;

    /** Supplies elements {@code [from, from + n)} of the tensor, row-major, into {@code dst[0, n)}. */
    interface ElementReader {
        void read(long from, float[] dst, int n) throws IOException;
    }

    private LargeTensors() {}

    /** A tensor of {@code shape} in {@code manager}, filled by {@code reader} in pieces of at most {@code maxChunk}. */
    static NDArray create(NDManager manager, Shape shape, ElementReader reader, int maxChunk) throws IOException {
        Chunks chunks = new Chunks(shape.size(), maxChunk);
        if (chunks.count() <= 1) {
            float[] values = new float[(int) chunks.total()];
            reader.read(0, values, values.length);
            return manager.create(values, shape);
        }
        float[] staging = new float[maxChunk];
        try (NDManager pieces = manager.newSubManager()) {
            NDList parts = new NDList();
            for (long c = 0; c < chunks.count(); c++) {
                int n = chunks.length(c);
                reader.read(chunks.start(c), staging, n);
                // create copies the values into its own native buffer, so the staging array is reused.
                parts.add(pieces.create(n == maxChunk ? staging : java.util.Arrays.copyOf(staging, n), new Shape(n)));
            }
            NDArray out = NDArrays.concat(parts, 0).reshape(shape);
            out.attach(manager); // outlives the pieces, which close here
            return out;
        }
    }
}
