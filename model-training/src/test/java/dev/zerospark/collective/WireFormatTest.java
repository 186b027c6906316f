package dev.zerospark.collective;

import dev.zerospark.safetensors.HalfFloats;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The wire formats' conversions (core's {@link HalfFloats}, shared with safetensors) over every 16-bit pattern. */
class WireFormatTest {
    @Test
    void everyHalfAndBfloatValueRoundTrips() {
        for (int h = 0; h < 1 << 16; h++) {
            short s = (short) h;
            float f = HalfFloats.toFloat(s);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(HalfFloats.toFloat(HalfFloats.toHalf(f))));
                continue;
            }
            assertEquals(s, HalfFloats.toHalf(f), "fp16 " + Integer.toHexString(h));
            float b = HalfFloats.bf16ToFloat(s);
            if (!Float.isNaN(b)) assertEquals(s, HalfFloats.toBf16(b), "bf16 " + Integer.toHexString(h));
        }
        assertEquals(65504f, HalfFloats.toFloat(HalfFloats.toHalf(65519f)), "rounds down below the overflow midpoint");
        assertEquals(Float.POSITIVE_INFINITY, HalfFloats.toFloat(HalfFloats.toHalf(65520f)));
        assertEquals(0x1p-24f, HalfFloats.toFloat(HalfFloats.toHalf(0x1.8p-25f)), "subnormal rounds up past the midpoint");
        assertEquals(0f, HalfFloats.toFloat(HalfFloats.toHalf(0x1p-25f)), "exact midpoint ties to even (zero)");
    }

    @Test
    void roundsToTheNearestValueTiesToEven() {
        Random rnd = new Random(11);
        for (WireFormat w : new WireFormat[] {WireFormat.BF16, WireFormat.FP16}) {
            for (int k = 0; k < 200_000; k++) {
                float f = (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(30) - 20));
                short s = w.encode(f);
                float r = w.decode(s);
                float up = w.decode((short) (s + 1));
                float down = w.decode((short) (s - 1));
                double err = Math.abs((double) r - f);
                double errUp = Float.isNaN(up) ? Double.POSITIVE_INFINITY : Math.abs((double) up - f);
                double errDown = Float.isNaN(down) ? Double.POSITIVE_INFINITY : Math.abs((double) down - f);
                assertTrue(err <= errUp && err <= errDown, w + " nearest for " + f + ": got " + r);
                if (err == errUp || err == errDown) {
                    assertEquals(0, s & 1, w + " tie to even for " + f);
                }
            }
        }
    }
}
