package dev.zerospark.collective.internal;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Frame arithmetic for segments of more than 2^31 floats: frames tile the segment exactly, starts are long. */
class WireTest {
    @Test
    void framesTileASegmentPastTwoToThe31Floats() {
        long segment = (1L << 31) + 5;
        int frame = 1 << 14;
        long frames = Wire.frames(segment, frame);
        assertEquals((1L << 17) + 1, frames);
        long covered = 0;
        for (long f = 0; f < frames; f++) {
            assertEquals(100 + covered, Wire.frameStart(100, f, frame));
            covered += Wire.frameLength(segment, f, frame);
        }
        assertEquals(segment, covered);
        assertEquals(5, Wire.frameLength(segment, frames - 1, frame));
        assertEquals(100 + (1L << 31), Wire.frameStart(100, frames - 1, frame));
        assertEquals(1, Wire.frames(0, frame));
        assertEquals(0, Wire.frameLength(0, 0, frame));
    }
}
