package dev.zerospark.safetensors;

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

    /** An integer tensor (I64, I32, I16, I8, U8, BOOL) widened to long. */
    long[] readLongs(String name) throws IOException;

    @Override
    void close() throws IOException;
}
