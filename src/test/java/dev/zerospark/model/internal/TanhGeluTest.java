package dev.zerospark.model.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.zerospark.model.GradMode;
import org.junit.jupiter.api.Test;

class TanhGeluTest {
    private static final int N = 4096;

    /** Inputs over [-8, 8), where the tanh saturates at both ends and curves in between. */
    private static float[] inputs() {
        float[] x = new float[N];
        for (int i = 0; i < N; i++) {
            x[i] = -8f + 16f * i / N;
        }
        return x;
    }

    /** HF's NewGELUActivation and its derivative, in double. */
    private static double gelu(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    private static double geluGrad(double x) {
        double t = Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * Math.sqrt(2 / Math.PI) * (1 + 3 * 0.044715 * x * x);
    }

    @Test
    void matchesGeluNewAndItsGradientUnderAutograd() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) { // loads libtorch before the JNI calls
            try (GradMode on = GradMode.on()) {
                float[] xs = inputs();
                NDArray x = m.create(xs, new Shape(2, N / 2));
                x.setRequiresGradient(true);
                NDArray y = Ops.geluTanh(x);
                assertEquals(x.getShape(), y.getShape());
                assertEquals(DataType.FLOAT32, y.getDataType());
                assertTrue(y.getManager() == m, "the result belongs to the input's manager");
                float[] got = y.toFloatArray();
                for (int i = 0; i < N; i++) {
                    assertEquals(gelu(xs[i]), got[i], 2e-6 * Math.max(1, Math.abs(xs[i])), "gelu(" + xs[i] + ")");
                }
                JniUtils.backward((PtNDArray) y, (PtNDArray) m.ones(y.getShape()), false, false);
                float[] grad = x.getGradient().toFloatArray();
                for (int i = 0; i < N; i++) {
                    assertEquals(geluGrad(xs[i]), grad[i], 1e-5, "gelu'(" + xs[i] + ")");
                }
            }
        }
    }

    @Test
    void recordsNothingWithGradOff() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) { // loads libtorch before the JNI calls
            try (GradMode off = GradMode.off()) {
                NDArray x = m.create(inputs());
                x.setRequiresGradient(true);
                NDArray y = Ops.geluTanh(x);
                assertFalse(JniUtils.requiresGrad((PtNDArray) y), "no-grad forward built a graph");
            }
        }
    }
}
