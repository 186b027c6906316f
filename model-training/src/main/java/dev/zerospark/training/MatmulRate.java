package dev.zerospark.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** The fp32 matmul rate of this process, measured once, as the peak that MFU is reported against. */
final class MatmulRate {
    private static volatile double cached;

    private MatmulRate() {}

    static double measureFlops() {
        if (cached > 0) return cached;
        int n = 512;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray a = m.randomUniform(-1, 1, new ai.djl.ndarray.types.Shape(n, n));
            NDArray b = m.randomUniform(-1, 1, new ai.djl.ndarray.types.Shape(n, n));
            a.matMul(b).close(); // warm-up
            int reps = 10;
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) a.matMul(b).close();
            double s = (System.nanoTime() - t0) / 1e9;
            cached = 2.0 * n * n * n * reps / s;
        }
        return cached;
    }
}
