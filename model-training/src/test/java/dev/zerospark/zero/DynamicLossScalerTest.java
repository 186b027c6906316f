package dev.zerospark.zero;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DeepSpeed DynamicLossScaler.update_scale, step by step. */
class DynamicLossScalerTest {

    @Test
    void defaultsAreDeepSpeeds() {
        DynamicLossScaler scaler = DynamicLossScaler.deepSpeedDefaults();
        assertEquals(65536.0, scaler.scale());
        // Window 1000: the first doubling comes after 1000 clean iterations (iteration 999 since overflow -1).
        for (int i = 0; i < 999; i++) {
            assertTrue(scaler.update(false));
            assertEquals(65536.0, scaler.scale(), "iteration " + i);
        }
        scaler.update(false);
        assertEquals(131072.0, scaler.scale());
    }

    @Test
    void hysteresisAbsorbsOneOverflowThenHalves() {
        DynamicLossScaler scaler = new DynamicLossScaler(1024, 4, 2, 1);
        assertFalse(scaler.update(true)); // absorbed by hysteresis
        assertEquals(1024, scaler.scale());
        assertFalse(scaler.update(true));
        assertEquals(512, scaler.scale());
        assertFalse(scaler.update(true)); // hysteresis is not restored by overflows
        assertEquals(256, scaler.scale());
        // Four clean iterations after the last overflow double the scale and restore hysteresis.
        for (int i = 0; i < 3; i++) {
            assertTrue(scaler.update(false));
            assertEquals(256, scaler.scale());
        }
        assertTrue(scaler.update(false));
        assertEquals(512, scaler.scale());
        assertFalse(scaler.update(true));
        assertEquals(512, scaler.scale(), "hysteresis was restored by the doubling");
    }

    @Test
    void overflowAtTheMinimumScaleStopsTraining() {
        DynamicLossScaler scaler = new DynamicLossScaler(2, 1000, 1, 1);
        scaler.update(true);
        assertEquals(1, scaler.scale());
        LossScaleUnderflowException e = assertThrows(LossScaleUnderflowException.class, () -> scaler.update(true));
        assertTrue(e.getMessage().contains("minimum loss scale"), e.getMessage());
    }

    @Test
    void aStaticScaleSkipsOverflowingStepsAndNeverMoves() {
        // DeepSpeed fp16.loss_scale > 0: LossScaler, whose update_scale does nothing; the optimizer still skips
        DynamicLossScaler scaler = new DynamicLossScaler.Settings(128, 16, 1000, 2, 1).create();
        assertFalse(scaler.update(true));
        assertFalse(scaler.update(true));
        assertFalse(scaler.update(true), "no underflow error: the scale is not being lowered");
        assertEquals(128, scaler.scale());
        for (int i = 0; i < 5; i++) assertTrue(scaler.update(false));
        assertEquals(128, scaler.scale());
        assertEquals(4096, new DynamicLossScaler.Settings(0, 12, 1000, 2, 1).create().scale(), "dynamic: 2^power");
    }

    /** What a checkpoint keeps: a fresh scaler restored from it goes on exactly as the one it was taken from. */
    @Test
    void aRestoredScalerContinuesExactlyAsTheOriginal() {
        boolean[] overflows = {true, false, true, false, false, false, true, true, false, false, false, false, true};
        for (int cut = 0; cut <= overflows.length; cut++) {
            DynamicLossScaler original = new DynamicLossScaler(1024, 3, 2, 1);
            for (int i = 0; i < cut; i++) original.update(overflows[i]);
            DynamicLossScaler resumed = new DynamicLossScaler(1024, 3, 2, 1);
            resumed.restore(original.state());
            for (int i = cut; i < overflows.length; i++) {
                assertEquals(original.update(overflows[i]), resumed.update(overflows[i]));
                assertEquals(original.state(), resumed.state(), "cut at " + cut + ", iteration " + i);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new DynamicLossScaler.State(0, 1, 3, -1));
        assertThrows(IllegalArgumentException.class, () -> new DynamicLossScaler.State(8, 1, 3, 3));
    }

    @Test
    void overflowDetectionSeesNaNAndInfinityOnly() {
        float[] values = {1f, -3e38f, 0f};
        assertFalse(DynamicLossScaler.hasOverflow(values, 0, 3));
        values[1] = Float.NEGATIVE_INFINITY;
        assertTrue(DynamicLossScaler.hasOverflow(values, 0, 3));
        assertFalse(DynamicLossScaler.hasOverflow(values, 2, 1));
        values[2] = Float.NaN;
        assertTrue(DynamicLossScaler.hasOverflow(values, 2, 1));
    }
}
