package dev.zerospark.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.flat.Chunks;
import dev.zerospark.flat.FlatFloats;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Offsets and sizes past 2^31, on sparse files: the data between the written bytes is never stored. */
class SafetensorsLargeTest {
    private static final long TWO_31 = 1L << 31;

    @TempDir
    Path tmp;

    /**
     * "big" is an F32 tensor of 2^31 + 25 elements (8 GiB + 100 bytes, more than one Java array holds), "w" a small
     * tensor after it, at data byte 2^33 + 100. Only the values written below take disk space.
     */
    @Test
    void readsTensorsPastByteTwoToThe31OfASparseFile() throws Exception {
        long bigNumel = TWO_31 + 25;
        long bigBytes = bigNumel * 4;
        String json = "{\"big\":{\"dtype\":\"F32\",\"shape\":[" + bigNumel + "],\"data_offsets\":[0," + bigBytes + "]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[" + bigBytes + "," + (bigBytes + 16) + "]}}";
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        long dataStart = 8 + header.length;
        float[] w = {1.5f, -2.25f, 3.0e-8f, Float.MAX_VALUE};
        float[] tailOfBig = {0.5f, 0.25f, -7f, 11f, 13f};
        Path file = tmp.resolve("sparse.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(dataStart + bigBytes + 16);
            f.write(le(8).putLong(header.length).array());
            f.write(header);
            f.seek(dataStart + (TWO_31 + 20) * 4); // elements 2^31 + 20 .. 2^31 + 24 of "big"
            f.write(floats(tailOfBig));
            f.seek(dataStart + bigBytes);
            f.write(floats(w));
        }
        assertTrue(Files.size(file) > 4 * TWO_31);

        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(bigBytes, st.info("w").begin());
            assertArrayEquals(w, st.readFloats("w"));
            float[] mid = new float[2];
            st.readFloats("w", 1, mid, 0, 2);
            assertArrayEquals(new float[] {w[1], w[2]}, mid);

            float[] tail = new float[6];
            st.readFloats("big", TWO_31 + 19, tail, 0, 6);
            assertArrayEquals(new float[] {0f, 0.5f, 0.25f, -7f, 11f, 13f}, tail);
            TensorTooLargeException whole = assertThrows(TensorTooLargeException.class, () -> st.readFloats("big"));
            assertTrue(whole.getMessage().contains(Long.toString(bigNumel)), whole.getMessage());
            IndexOutOfBoundsException past = assertThrows(IndexOutOfBoundsException.class,
                    () -> st.readFloats("big", TWO_31 + 20, new float[6], 0, 6));
            assertTrue(past.getMessage().contains("big"), past.getMessage());
        }
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(file)) {
            // The chunked read into a long-indexed buffer, at a destination offset past 2^31.
            FlatFloats dst = FlatFloats.segmented(TWO_31 + 10, 1 << 16);
            ck.readFloats("w", dst, TWO_31 + 3, 3);
            float[] back = new float[6];
            dst.get(TWO_31 + 2, back, 0, 6);
            assertArrayEquals(new float[] {0f, w[0], w[1], w[2], w[3], 0f}, back);
        }
    }

    /** The writer's chunk loop: any chunk size writes the same bytes, also from a segmented source. */
    @Test
    void chunkedWritesAreByteIdentical() throws Exception {
        Random r = new Random(7);
        List<WritableTensor> tensors = new ArrayList<>();
        int[] sizes = {0, 1, 3, 7, 10, 64};
        for (int i = 0; i < sizes.length; i++) {
            float[] v = new float[sizes[i]];
            long[] l = new long[sizes[i]];
            for (int j = 0; j < v.length; j++) {
                v[j] = (float) r.nextGaussian();
                l[j] = r.nextLong();
            }
            long[] shape = {sizes[i]};
            tensors.add(WritableTensor.f32("f32_" + i, shape, v));
            tensors.add(WritableTensor.bf16("bf16_" + i, shape, v));
            tensors.add(WritableTensor.f16("f16_" + i, shape, v));
            tensors.add(WritableTensor.i64("i64_" + i, shape, l));
            FlatFloats seg = FlatFloats.segmented(v.length, 4);
            seg.put(0, v, 0, v.length);
            tensors.add(WritableTensor.f32("seg_" + i, shape, seg));
        }
        Path whole = tmp.resolve("whole.safetensors");
        SafetensorsWriter.write(whole, tensors, Map.of("k", "v"));
        for (int chunk : new int[] {1, 3, 4, 7}) {
            Path chunked = tmp.resolve("chunk" + chunk + ".safetensors");
            SafetensorsWriter.write(chunked, tensors, Map.of("k", "v"), chunk);
            assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(chunked), "chunk size " + chunk);
        }
        try (SafetensorsFile st = SafetensorsFile.open(whole)) {
            assertArrayEquals(st.readFloats("f32_5"), st.readFloats("seg_5"));
        }
    }

    /**
     * The chunk arithmetic the writer and readers use, for a tensor of more than 2^31 elements (8 GiB of fp32):
     * chunks tile it exactly. The writer's former {@code int from; from += chunk} loop overflowed past 2^31 - chunk.
     */
    @Test
    void chunksTileTensorsPastTwoToThe31Elements() {
        for (long total : new long[] {Integer.MAX_VALUE - 8, TWO_31 + 5, 8 * TWO_31 + 3}) {
            Chunks c = new Chunks(total, 1 << 20);
            long covered = 0;
            for (long i = 0; i < c.count(); i++) {
                assertEquals(covered, c.start(i));
                assertTrue(c.length(i) > 0 && c.length(i) <= 1 << 20);
                covered += c.length(i);
            }
            assertEquals(total, covered);
        }
        Chunks c = new Chunks(TWO_31 + 5, 1 << 20);
        assertEquals(2049, c.count());
        assertEquals(TWO_31, c.start(2048));
        assertEquals(5, c.length(2048));
        assertEquals(0, new Chunks(0, 3).count());
        assertThrows(IndexOutOfBoundsException.class, () -> c.start(2049));
    }

    private static ByteBuffer le(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] floats(float[] v) {
        ByteBuffer b = le(4 * v.length);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }
}
