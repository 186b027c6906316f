package dev.zerospark.train;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.zerospark.testing.TestPaths;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Regression test: a Java GC between forward and backward must not change the gradients. DJL turns a plain Java
 * number operand ({@code x.mul(0.5f)}) into a temporary tensor over a Java direct buffer, closes it right after the
 * op, and autograd keeps reading that buffer in backward; once the GC frees it, gradients became NaN or garbage.
 */
class GradientUnderGcTest {
    private static final int PASSES = 3;

    /**
     * Calls System.gc() about every millisecond until stopped, so collections (and the Cleaner freeing unreachable
     * direct buffers) land inside forward/backward windows; the short park keeps the training thread moving.
     */
    private static final class GcHammer extends Thread {
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicLong collections = new AtomicLong();

        GcHammer() {
            super("gc-hammer");
            setDaemon(true);
        }

        @Override
        public void run() {
            while (!stop.get()) {
                System.gc();
                collections.incrementAndGet();
                LockSupport.parkNanos(1_000_000);
            }
        }

        long stopAndJoin() throws InterruptedException {
            stop.set(true);
            join();
            return collections.get();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-llama"})
    @Timeout(60)
    void gradientsDoNotChangeWhenTheGcRunsDuringTraining(String fixture) throws Exception {
        Path dir = TestPaths.fixture(fixture);
        int[][] batch = TrainingReference.readBatches(dir)[0];
        float[][] lossMask = halfMask(batch);
        try (TrainableModel model = TrainableModels.load(dir)) {
            int n = (int) model.numel();
            float[] expected = new float[n];
            model.forwardBackward(batch, lossMask, 1f, expected);
            assertFinite(model, expected, fixture + " reference run (no GC thread)");

            GcHammer hammer = new GcHammer();
            hammer.start();
            long collections;
            try {
                for (int pass = 0; pass < PASSES; pass++) {
                    float[] g = new float[n];
                    model.forwardBackward(batch, lossMask, 1f, g);
                    String what = fixture + " pass " + pass + " under GC";
                    assertFinite(model, g, what);
                    assertClose(model, expected, g, what);
                }
            } finally {
                collections = hammer.stopAndJoin();
            }
            assertTrue(collections > 0, "the GC thread never ran, so the test proved nothing");
        }
    }

    /** Loss on the second half of each row only, so the loss-mask multiply is part of the graph. */
    private static float[][] halfMask(int[][] batch) {
        float[][] mask = new float[batch.length][batch[0].length];
        for (float[] row : mask) {
            for (int t = row.length / 2; t < row.length; t++) {
                row[t] = 1f;
            }
        }
        return mask;
    }

    private static void assertFinite(TrainableModel model, float[] g, String what) {
        for (int i = 0; i < g.length; i++) {
            if (!Float.isFinite(g[i])) {
                fail(what + ": gradient of " + at(model, i) + " is " + g[i]);
            }
        }
    }

    private static void assertClose(TrainableModel model, float[] expected, float[] actual, String what) {
        double worst = 0;
        int worstAt = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            if (d > worst) {
                worst = d;
                worstAt = i;
            }
        }
        assertTrue(worst <= 1e-6, what + ": gradient of " + at(model, worstAt) + " is " + actual[worstAt]
                + " but " + expected[worstAt] + " without the GC thread (max abs diff " + worst + ")");
    }

    private static String at(TrainableModel model, int flatIndex) {
        for (ParamSpec p : model.params()) {
            if (flatIndex < p.offset() + p.numel()) {
                return p.name() + "[" + (flatIndex - p.offset()) + "]";
            }
        }
        return "flat[" + flatIndex + "]";
    }
}
