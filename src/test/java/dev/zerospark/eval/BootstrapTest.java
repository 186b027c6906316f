package dev.zerospark.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BootstrapTest {
    @Test
    void theIntervalContainsTheMeanIsReproducibleAndNarrowsWithMoreData() {
        SplittableRandom r = new SplittableRandom(7);
        double[] small = new double[20];
        double[] large = new double[2000];
        for (int i = 0; i < small.length; i++) small[i] = r.nextDouble();
        for (int i = 0; i < large.length; i++) large[i] = r.nextDouble();
        Bootstrap.Interval a = Bootstrap.mean95(small, 1000, 1234);
        double mean = 0;
        for (double v : small) mean += v;
        assertEquals(mean / small.length, a.mean(), 1e-12);
        assertTrue(a.low() < a.mean() && a.mean() < a.high(), a.toString());
        assertEquals(a, Bootstrap.mean95(small, 1000, 1234), "one seed, one interval");
        assertNotEquals(a, Bootstrap.mean95(small, 1000, 99), "another seed draws other resamples");
        Bootstrap.Interval b = Bootstrap.mean95(large, 1000, 1234);
        assertTrue(b.high() - b.low() < (a.high() - a.low()) / 3, "100x the data, about a tenth the width: " + a + " " + b);
        // uniform(0,1): sd 0.2887, so the 95% half-width of a mean of 2000 is about 1.96 * 0.2887 / sqrt(2000) = 0.0127
        assertEquals(0.0253, b.high() - b.low(), 0.004);
    }

    @Test
    void constantValuesGiveAPointAndNoValuesAreRefused() {
        Bootstrap.Interval c = Bootstrap.mean95(new double[] {0.25, 0.25, 0.25}, 100, 1);
        assertEquals(new Bootstrap.Interval(0.25, 0.25, 0.25), c);
        assertThrows(IllegalArgumentException.class, () -> Bootstrap.mean95(new double[0], 100, 1));
    }
}
