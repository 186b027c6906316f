package dev.zerospark.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class PrecisionTest {
    /** d(sum(seed * f(w)))/dw for w = [1, 2, 3, 4] with grad mode on; f's output dtype decides the seed's. */
    private static float[] gradThrough(NDManager m, UnaryOperator<NDArray> f) {
        try (GradMode on = GradMode.on()) {
            NDArray w = m.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
            w.setRequiresGradient(true);
            NDArray out = f.apply(w);
            NDArray seed = Precision.of(out).fromFloat32(m.ones(out.getShape()));
            JniUtils.backward((PtNDArray) out, (PtNDArray) seed, false, false);
            return w.getGradient().toFloatArray();
        }
    }

    @Test
    void castsAreRecordedByAutograd() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            float[] two = {2, 2, 2, 2};
            for (Precision p : Precision.values()) {
                assertArrayEquals(two, gradThrough(m, w -> p.fromFloat32(w.mul(2f))), "down to " + p.key());
                assertArrayEquals(two, gradThrough(m, w -> Precision.toFloat32(p.fromFloat32(w).mul(2f))),
                        "down to " + p.key() + " and up again");
            }
            // why Precision exists: DJL's toType detaches its result from the graph
            assertThrows(EngineException.class, () -> gradThrough(m, w -> w.toType(DataType.FLOAT16, false)));
        }
    }

    @Test
    void roundsToNearestEvenAndNamesDtypes() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray x = m.create(new float[] {1f + 0x1p-8f, 1f + 3 * 0x1p-8f, 1f + 0x1p-11f, 1f + 3 * 0x1p-11f});
            NDArray b = Precision.BF16.fromFloat32(x);
            NDArray h = Precision.FP16.fromFloat32(x);
            assertEquals(Precision.BF16, Precision.of(b));
            assertEquals(Precision.FP16, Precision.of(h));
            assertEquals(Precision.FP32, Precision.of(Precision.toFloat32(h)));
            assertArrayEquals(new float[] {1f, 1f + 0x1p-6f, 1f, 1f}, Bf16.toFloatArray(b), "bf16 ties to even");
            assertArrayEquals(new float[] {1f + 0x1p-8f, 1f + 3 * 0x1p-8f, 1f, 1f + 0x1p-9f},
                    Precision.toFloat32(h).toFloatArray(), "fp16 ties to even");
            assertEquals(Precision.BF16, Precision.of("BF16"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.of("fp8"));
            assertEquals("precision 'fp8' is not one of fp32, bf16, fp16", e.getMessage());
        }
    }
}
