package dev.zerospark.flat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.flat.internal.SegmentedFloats;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FlatFloatsTest {
    private static final long TWO_31 = 1L << 31;

    /**
     * A buffer of 2^31 + 5001 elements in segments of 1000: 2^31 is not a segment boundary, so a run around it
     * crosses both segment edges and the int range. Only the touched segments are allocated (a few KB, not 8 GiB).
     */
    @Test
    void segmentedBufferCrossesTwoToThe31Elements() {
        long length = TWO_31 + 5001;
        SegmentedFloats buf = (SegmentedFloats) FlatFloats.segmented(length, 1000);
        assertEquals(length, buf.length());
        long start = TWO_31 - 2500;
        float[] values = new float[5000];
        Random r = new Random(13);
        for (int i = 0; i < values.length; i++) {
            values[i] = r.nextFloat() - 0.5f;
        }
        buf.put(start, values, 0, values.length);
        // [2^31 - 2500, 2^31 + 2500) spans segments 2147481..2147486 (2^31 = 2147483648 is inside 2147483).
        assertEquals(6, buf.allocatedSegments());
        float[] back = new float[5000];
        buf.get(start, back, 0, back.length);
        assertArrayEquals(values, back);
        assertEquals(values[2500], buf.get(TWO_31));
        assertEquals(values[2499], buf.get(TWO_31 - 1));
        assertEquals(values[4999], buf.get(start + 4999));
        assertEquals(0f, buf.get(start - 1));
        assertEquals(0f, buf.get(start + 5000));

        // add crosses the boundary too; elements outside the run stay zero.
        float[] ones = new float[10];
        java.util.Arrays.fill(ones, 1f);
        buf.add(TWO_31 - 5, ones, 0, 10);
        for (int i = 0; i < 10; i++) {
            assertEquals(values[2495 + i] + 1f, buf.get(TWO_31 - 5 + i));
        }
        buf.set(length - 1, 7f);
        assertEquals(7f, buf.get(length - 1));
        assertEquals(7, buf.allocatedSegments());
        float[] tail = new float[3];
        buf.get(length - 3, tail, 0, 3);
        assertArrayEquals(new float[] {0f, 0f, 7f}, tail);
    }

    @Test
    void segmentedMatchesArrayOnRandomRanges() {
        int n = 10_007;
        FlatFloats seg = FlatFloats.segmented(n, 97);
        float[] ref = new float[n];
        FlatFloats heap = FlatFloats.wrap(ref);
        Random r = new Random(5);
        for (int k = 0; k < 300; k++) {
            int from = r.nextInt(n);
            int len = r.nextInt(n - from + 1);
            float[] src = new float[len];
            for (int i = 0; i < len; i++) {
                src[i] = r.nextFloat();
            }
            int op = r.nextInt(3);
            if (op == 0) {
                seg.put(from, src, 0, len);
                heap.put(from, src, 0, len);
            } else if (op == 1) {
                seg.put(from, java.nio.FloatBuffer.wrap(src), len);
                heap.put(from, java.nio.FloatBuffer.wrap(src), len);
            } else {
                seg.add(from, src, 0, len);
                heap.add(from, src, 0, len);
            }
        }
        float[] all = new float[n];
        seg.get(0, all, 0, n);
        assertArrayEquals(ref, all);
        java.nio.FloatBuffer direct = java.nio.ByteBuffer.allocateDirect(4 * n).asFloatBuffer();
        seg.get(0, direct, n);
        assertEquals(n, direct.position());
        direct.flip().get(all);
        assertArrayEquals(ref, all);
        // Unwritten segments read as zeros through the buffer path too.
        FlatFloats sparse = FlatFloats.segmented(TWO_31 + 200, 64);
        sparse.set(TWO_31 + 1, 5f);
        java.nio.FloatBuffer out = java.nio.FloatBuffer.allocate(200);
        sparse.get(TWO_31 - 98, out, 200);
        float[] expected = new float[200];
        expected[99] = 5f;
        assertArrayEquals(expected, out.array());
    }

    @Test
    void outOfRangeAccessNamesTheRange() {
        FlatFloats buf = FlatFloats.segmented(TWO_31 + 10, 1 << 20);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> buf.get(TWO_31 + 5, new float[6], 0, 6));
        assertTrue(e.getMessage().contains("[" + (TWO_31 + 5) + ", +6)"), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> FlatFloats.wrap(new float[4]).get(4));
        IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                () -> FlatFloats.segmented(Long.MAX_VALUE, 1));
        assertTrue(tooMany.getMessage().contains("segments of 1"), tooMany.getMessage());
    }
}
