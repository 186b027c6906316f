package dev.zerospark.zero;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.train.TrainStepBench;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class TrainStepBenchmarkTest {
    @Test
    void smallBenchReportsConsistentNumbers() {
        TrainStepBench.Options o = new TrainStepBench.Options(1, 32, 2, 128, 16, 2, 1, 2);
        TrainStepBench.Result r = TrainStepBenchmark.run(o);
        // GPT-2 with tied head: wte + wpe(1024) + 1 block (12 d^2 + 13 d) + ln_f (2 d)
        long d = 32;
        assertEquals(128 * d + 1024 * d + 12 * d * d + 13 * d + 2 * d, r.params());
        assertTrue(r.stepMs() > 0 && r.forwardMs() > 0 && r.optimizerMs() >= 0);
        assertEquals(r.stepMs(), r.forwardBackwardMs() + r.optimizerMs(), 1e-9);
        assertEquals(o.batch() * o.seq() / (r.stepMs() / 1e3), r.tokensPerSecond(), 1e-6);
        assertTrue(r.matmulGflops() > 0.1, "matmul rate " + r.matmulGflops());
        assertTrue(r.mfu() > 0 && r.mfu() < 1, "mfu " + r.mfu());
        LoggerFactory.getLogger(getClass()).info("bench {}", r);
    }
}
