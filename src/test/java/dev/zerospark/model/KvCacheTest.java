package dev.zerospark.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class KvCacheTest {
    /** (B, H, T, D) filled with distinct values starting at {@code base}. */
    private static NDArray kv(NDManager m, int b, int t, float base) {
        float[] v = new float[b * 2 * t * 3];
        for (int i = 0; i < v.length; i++) {
            v[i] = base + i;
        }
        return m.create(v, new Shape(b, 2, t, 3));
    }

    @Test
    void preallocatesOnceAndReturnsTheFilledPrefix() {
        try (NDManager root = NDManager.newBaseManager("PyTorch");
             KvCache cache = new KvCache(root.newSubManager(), 1, 7)) {
            NDArray expectedK = kv(root, 2, 4, 0);
            NDArray expectedV = kv(root, 2, 4, 1000);
            try (NDManager step = root.newSubManager()) {
                NDArray[] got = cache.append(0, expectedK.duplicate(), expectedV.duplicate());
                assertEquals(new Shape(2, 2, 4, 3), got[0].getShape());
                assertArrayEquals(expectedK.toFloatArray(), got[0].toFloatArray());
                assertArrayEquals(expectedV.toFloatArray(), got[1].toFloatArray());
            }
            cache.advance(4);
            assertEquals(7, cache.allocated(), "the whole capacity is allocated on the first append");
            for (int n = 0; n < 3; n++) {
                NDArray k = kv(root, 2, 1, 100 * (n + 1));
                NDArray v = kv(root, 2, 1, 5000 + 100 * n);
                expectedK = expectedK.concat(k, 2);
                expectedV = expectedV.concat(v, 2);
                try (NDManager step = root.newSubManager()) {
                    NDArray[] got = cache.append(0, k, v);
                    assertEquals(new Shape(2, 2, 5 + n, 3), got[0].getShape());
                    assertArrayEquals(expectedK.toFloatArray(), got[0].toFloatArray(), "keys after step " + n);
                    assertArrayEquals(expectedV.toFloatArray(), got[1].toFloatArray(), "values after step " + n);
                }
                cache.advance(1);
                assertEquals(7, cache.allocated(), "written in place, not reallocated, at step " + n);
            }
            // past the capacity the buffers grow and keep what was written
            NDArray k = kv(root, 2, 2, -50);
            NDArray[] got = cache.append(0, k, kv(root, 2, 2, -90));
            assertArrayEquals(expectedK.concat(k, 2).toFloatArray(), got[0].toFloatArray());
        }
    }

    @Test
    void keepRowsSelectsBatchRowsInOrder() {
        try (NDManager root = NDManager.newBaseManager("PyTorch");
             KvCache cache = new KvCache(root.newSubManager(), 2, 5)) {
            NDArray k = kv(root, 3, 2, 0);
            NDArray v = kv(root, 3, 2, 1000);
            for (int layer = 0; layer < 2; layer++) {
                cache.append(layer, k, v);
            }
            cache.advance(2);
            cache.keepRows(new long[] {2, 0});
            assertEquals(2, cache.batchSize());
            NDArray k1 = kv(root, 2, 1, 700);
            NDArray[] got = cache.append(1, k1, kv(root, 2, 1, 800));
            NDArray expected = k.get(new NDIndex("2")).expandDims(0).concat(k.get(new NDIndex("0")).expandDims(0), 0)
                    .concat(k1, 2);
            assertArrayEquals(expected.toFloatArray(), got[0].toFloatArray());
        }
    }
}
