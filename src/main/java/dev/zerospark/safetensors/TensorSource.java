package dev.zerospark.safetensors;

import dev.zerospark.flat.Chunks;
import dev.zerospark.flat.FlatFloats;
import java.io.IOException;
import java.util.List;

/** Read access to named tensors: one safetensors file or a sharded checkpoint. */
public interface TensorSource extends AutoCloseable {
    /** Reads return one Java array per tensor, which the JVM allocates with at most this many elements. */
    long MAX_READ_ELEMENTS = Integer.MAX_VALUE - 8;

    /** Tensor names in header order (for shards: index order). */
    List<String> names();

    boolean contains(String name);

    /** Header entry of a tensor; throws {@link TensorNotFoundException} when absent. */
    TensorInfo info(String name);

    /** The tensor as fp32; F32, F16, BF16 and F64 are converted exactly where the value is representable. */
    float[] readFloats(String name) throws IOException;

    /**
     * Elements {@code [from, from + n)} of a float tensor (in row-major order), as fp32, into {@code dst[off, off +
     * n)}: how a tensor of more than {@link #MAX_READ_ELEMENTS} elements is read, piece by piece.
     */
    void readFloats(String name, long from, float[] dst, int off, int n) throws IOException;

    /**
     * The whole float tensor as fp32 into {@code dst[at, at + numel)}, through a staging array of at most
     * {@code chunkElems} elements: any size, into a buffer indexed by long.
     */
    default void readFloats(String name, FlatFloats dst, long at, int chunkElems) throws IOException {
        Chunks chunks = new Chunks(info(name).numel(), chunkElems);
        FlatFloats.checkRange(dst, at, chunks.total());
        float[] staging = new float[(int) Math.min(chunkElems, chunks.total())];
        for (long c = 0; c < chunks.count(); c++) {
            int n = chunks.length(c);
            readFloats(name, chunks.start(c), staging, 0, n);
            dst.put(at + chunks.start(c), staging, 0, n);
        }
    }

    /** An integer tensor (I64, I32, I16, I8, U8, BOOL) widened to long. */
    long[] readLongs(String name) throws IOException;

    @Override
    void close() throws IOException;
}
