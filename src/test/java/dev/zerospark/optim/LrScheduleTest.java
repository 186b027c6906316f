package dev.zerospark.optim;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LrScheduleTest {
    @Test
    void warmupThenCosineMatchesTheFixtureRecipe() {
        // lr values recorded in ../shared/fixtures/hf/tiny-gpt2/training_reference.json
        double[] expected = {0.0005, 0.001, 0.001, 0.0008681980515339464, 0.00055, 0.00023180194846605365};
        LrSchedule s = new LrSchedule(1e-3, 1e-4, 2, 6);
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], s.lr(i), 1e-15, "step " + i);
    }

    @Test
    void linearAndConstantDecay() {
        LrSchedule lin = new LrSchedule(1.0, 0.0, 0, 4, LrSchedule.Decay.LINEAR);
        assertEquals(1.0, lin.lr(0));
        assertEquals(0.5, lin.lr(2));
        assertEquals(0.0, lin.lr(4));
        LrSchedule constant = new LrSchedule(2.0, 0.0, 2, 10, LrSchedule.Decay.CONSTANT);
        assertEquals(1.0, constant.lr(0));
        assertEquals(2.0, constant.lr(7));
    }

    @Test
    void invalidSchedulesNameTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LrSchedule(-1, 0, 0, 1));
        assertEquals("lr must be > 0, got -1.0", e.getMessage());
    }
}
