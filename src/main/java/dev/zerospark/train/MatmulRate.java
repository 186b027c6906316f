package dev.zerospark.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one matmul probe that MFU is reported against: the best of at least {@value #MIN_RUNS} 1024^3 fp32 matmuls
 * spread over at least {@value #MIN_MILLIS} ms on the given manager's device, the same probe
 * {@code deploy/bench/train_step_torch.py} runs on the PyTorch side (which times the bare {@code a @ b}; so does this
 * on a CPU, without copying the result out). Five runs (about 25 ms at 2 threads) were once all slowed by another
 * process starting on this 2-core host, which put the probe at half the true rate and the MFU against it at 119%;
 * over a quarter of a second one undisturbed run is all the best needs.
 */
public final class MatmulRate {
    static final int SIZE = 1024;
    static final int MIN_RUNS = 20;
    static final int MIN_MILLIS = 250;
    private static final Map<String, Double> CACHED_GFLOPS = new ConcurrentHashMap<>();

    private MatmulRate() {}

    /** Measures now, in GFLOP/s, on {@code parent}'s device. */
    public static double gflops(NDManager parent) {
        try (NDManager m = parent.newSubManager()) {
            NDArray a = m.randomNormal(new Shape(SIZE, SIZE));
            NDArray b = m.randomNormal(new Shape(SIZE, SIZE));
            a.matMul(b).close(); // warm-up: first-touch of the output and BLAS's own setup
            double best = Double.MAX_VALUE;
            long start = System.nanoTime();
            for (int i = 0; i < MIN_RUNS || System.nanoTime() - start < MIN_MILLIS * 1_000_000L; i++) {
                long t0 = System.nanoTime();
                NDArray c = a.matMul(b);
                if (m.getDevice().isGpu()) {
                    c.get(0, 0).toFloatArray(); // waits for the asynchronous kernel; CPU ops are synchronous
                }
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                c.close();
            }
            return 2.0 * SIZE * SIZE * SIZE / best / 1e9;
        }
    }

    /** This process's rate on {@code device} in FLOP/s, measured on first use only (the trainer's per-step MFU). */
    public static double peakFlops(Device device) {
        return 1e9 * CACHED_GFLOPS.computeIfAbsent(device.toString(), d -> {
            try (NDManager m = NDManager.newBaseManager(device, "PyTorch")) {
                return gflops(m);
            }
        });
    }
}
