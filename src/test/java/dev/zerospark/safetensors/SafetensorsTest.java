package dev.zerospark.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.testing.TestPaths;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir
    Path tmp;

    @Test
    void readsFixtureHeaderAndData() throws Exception {
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(TestPaths.fixture("tiny-gpt2"))) {
            assertEquals(28, ck.names().size());
            TensorInfo info = ck.info("transformer.h.0.attn.c_attn.weight");
            assertEquals(DType.F32, info.dtype());
            assertArrayEquals(new long[] {64, 192}, info.shape());
            float[] w = ck.readFloats("transformer.h.0.attn.c_attn.weight");
            assertEquals(64 * 192, w.length);
            double sumSq = 0;
            for (float v : w) {
                sumSq += v * v;
            }
            assertTrue(sumSq > 0, "weights should not be all zero");
            TensorNotFoundException e = assertThrows(TensorNotFoundException.class, () -> ck.info("nope.weight"));
            assertTrue(e.getMessage().contains("nope.weight"), e.getMessage());
        }
        try (SafetensorsFile f = SafetensorsFile.open(TestPaths.fixture("tiny-gpt2").resolve("reference_outputs.safetensors"))) {
            assertEquals(DType.I64, f.info("input_ids").dtype());
            assertEquals(32, f.readLongs("input_ids").length);
        }
    }

    @Test
    void roundTripsAllWritableDtypes() throws Exception {
        Random r = new Random(1);
        float[] vals = new float[1000];
        for (int i = 0; i < vals.length; i++) {
            vals[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(9) - 6));
        }
        long[] ids = {1, -2, Long.MAX_VALUE, 0};
        Path p = tmp.resolve("a.safetensors");
        SafetensorsWriter.write(p, List.of(
                WritableTensor.f32("f32", new long[] {10, 100}, vals),
                WritableTensor.bf16("bf16", new long[] {1000}, vals),
                WritableTensor.f16("f16", new long[] {1000}, vals),
                WritableTensor.i64("ids", new long[] {2, 2}, ids)), Map.of("format", "pt"));
        // header + 8-byte length must be 8-aligned so data starts aligned
        ByteBuffer len = ByteBuffer.wrap(Files.readAllBytes(p), 0, 8).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, len.getLong() % 8);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals("pt", f.metadata().get("format"));
            assertArrayEquals(vals, f.readFloats("f32"));
            float[] bf = f.readFloats("bf16");
            float[] h = f.readFloats("f16");
            for (int i = 0; i < vals.length; i++) {
                assertEquals(HalfFloats.bf16ToFloat(HalfFloats.toBf16(vals[i])), bf[i], 0f);
                assertEquals(vals[i], bf[i], Math.abs(vals[i]) / 128f);
                assertEquals(HalfFloats.toFloat(HalfFloats.toHalf(vals[i])), h[i], 0f);
            }
            assertArrayEquals(ids, f.readLongs("ids"));
            assertThrows(IllegalArgumentException.class, () -> f.readLongs("f32"));
        }
    }

    @Test
    void halfConversionRoundTripsEveryBitPattern() {
        for (int b = 0; b < 65536; b++) {
            short h = (short) b;
            float f = HalfFloats.toFloat(h);
            if (Float.isNaN(f)) {
                continue;
            }
            assertEquals(h, HalfFloats.toHalf(f), "half bits " + Integer.toHexString(b));
        }
        assertEquals(1.0f, HalfFloats.toFloat((short) 0x3c00));
        assertEquals(-2.0f, HalfFloats.toFloat((short) 0xc000));
        assertEquals(0x1p-24f, HalfFloats.toFloat((short) 0x0001));
        assertEquals(65504f, HalfFloats.toFloat((short) 0x7bff));
    }

    @Test
    void shardsAboveLimitWithIndex() throws Exception {
        float[] a = new float[300];
        float[] b = new float[200];
        float[] c = new float[50];
        for (int i = 0; i < a.length; i++) {
            a[i] = i;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = -i;
        }
        List<WritableTensor> ts = List.of(WritableTensor.f32("a", new long[] {300}, a),
                WritableTensor.f32("b", new long[] {20, 10}, b), WritableTensor.f32("c", new long[] {50}, c));
        List<Path> files = SafetensorsCheckpoint.write(tmp, ts, 1000);
        assertEquals(2, files.size()); // a (1200 B) alone, then b + c = 1000 B exactly at the limit
        assertTrue(Files.exists(tmp.resolve(SafetensorsCheckpoint.INDEX_FILE)));
        assertFalse(Files.exists(tmp.resolve(SafetensorsCheckpoint.SINGLE_FILE)));
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(tmp)) {
            assertEquals(List.of("a", "b", "c"), ck.names());
            assertArrayEquals(a, ck.readFloats("a"));
            assertArrayEquals(b, ck.readFloats("b"));
            assertArrayEquals(new long[] {20, 10}, ck.info("b").shape());
        }
        // under the limit: one file and no index
        Path single = tmp.resolve("single");
        assertEquals(1, SafetensorsCheckpoint.write(single, ts, 1 << 20).size());
        assertFalse(Files.exists(single.resolve(SafetensorsCheckpoint.INDEX_FILE)));
    }

    @Test
    void rejectsMalformedFiles() throws Exception {
        Path p = tmp.resolve("bad.safetensors");
        ByteBuffer buf = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).putLong(0);
        Files.write(p, buf.array());
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(p));
        assertTrue(e.getMessage().contains("invalid header length"), e.getMessage());

        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,12]}}";
        ByteBuffer b2 = ByteBuffer.allocate(8 + header.length() + 12).order(ByteOrder.LITTLE_ENDIAN);
        b2.putLong(header.length()).put(header.getBytes());
        Files.write(p, b2.array());
        e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(p));
        assertTrue(e.getMessage().contains("tensor w") && e.getMessage().contains("needs 16 bytes"), e.getMessage());
    }

    /** Writes a raw safetensors file: the 8-byte length, {@code header} verbatim, then {@code dataBytes} zero bytes. */
    private Path raw(String header, long dataBytes) throws Exception {
        Path p = tmp.resolve("raw.safetensors");
        byte[] h = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + (int) dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Files.write(p, b.array());
        return p;
    }

    private String rejected(String header, long dataBytes) throws Exception {
        Path p = raw(header, dataBytes);
        return assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(p).close()).getMessage();
    }

    @Test
    void shapeEntriesMustBeNonNegativeJsonIntegers() throws Exception {
        for (String shape : List.of("[\"4\"]", "[4.0]", "[true]", "[null]", "[-4]", "[2, 2.5]", "[18446744073709551616]")) {
            String m = rejected("{\"w\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[0,16]}}", 16);
            assertTrue(m.contains("tensor w") && m.contains("shape") && m.contains("non-negative integers"), shape + ": " + m);
        }
        String m = rejected("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[\"0\",16]}}", 16);
        assertTrue(m.contains("data_offsets") && m.contains("non-negative integers"), m);
    }

    @Test
    void overlappingOrNonContiguousOffsetsAreRejected() throws Exception {
        String two = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[%d,%d]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[%d,%d]}}";
        String overlap = rejected(String.format(two, 0, 16, 8, 24), 24);
        assertTrue(overlap.contains("tensor b") && overlap.contains("overlapping"), overlap);
        String gap = rejected(String.format(two, 0, 16, 20, 36), 36);
        assertTrue(gap.contains("tensor b") && gap.contains("non-contiguous"), gap);
        String notAtZero = rejected(String.format(two, 4, 20, 20, 36), 36);
        assertTrue(notAtZero.contains("tensor a") && notAtZero.contains("non-contiguous"), notAtZero);
        String trailing = rejected(String.format(two, 0, 16, 16, 32), 40);
        assertTrue(trailing.contains("declare 32 bytes") && trailing.contains("holds 40 bytes"), trailing);
        String duplicate = rejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,32]}}", 32);
        assertTrue(duplicate.contains("Duplicate field 'a'"), duplicate);
        // listed out of order is fine: the reference sorts by offset too
        try (SafetensorsFile f = SafetensorsFile.open(raw(String.format(two, 16, 32, 0, 16), 32))) {
            assertEquals(List.of("a", "b"), f.names());
            assertEquals(16, f.info("a").begin());
        }
    }

    @Test
    void shapeTimesDtypeOverflowIsAFormatError() throws Exception {
        String m = rejected("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,16]}}", 16);
        assertTrue(m.contains("tensor w") && m.contains("overflows"), m);
        m = rejected("{\"w\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,16]}}", 16);
        assertTrue(m.contains("tensor w") && m.contains("overflows"), m);
    }

    @Test
    void declaredSizesAreCheckedAgainstTheFileBeforeAllocating() throws Exception {
        // 8 GiB of F32 declared by a 200-byte file: an error at open, long before readFloats could allocate.
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2147483648],\"data_offsets\":[0,8589934592]}}";
        Path p = raw(header + " ".repeat(200 - 8 - header.length()), 0);
        assertEquals(200, Files.size(p));
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(p).close());
        assertTrue(e.getMessage().contains("8589934592") && e.getMessage().contains("holds 0 bytes"), e.getMessage());
        // A sparse file really 8 GiB long is well-formed, but its tensor is refused before an array is allocated.
        Path sparse = tmp.resolve("sparse.safetensors");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(sparse.toFile(), "rw")) {
            byte[] h = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            f.write(h);
            f.setLength(8 + h.length + 8589934592L);
        }
        try (SafetensorsFile f = SafetensorsFile.open(sparse)) {
            TensorTooLargeException big = assertThrows(TensorTooLargeException.class, () -> f.readFloats("w"));
            assertTrue(big.getMessage().contains("2147483648 elements"), big.getMessage());
        }
        byte[] latin1 = "{\"__metadata__\":{\"k\":\"\u00ff\"}}".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        Path notUtf8 = tmp.resolve("latin1.safetensors");
        Files.write(notUtf8, ByteBuffer.allocate(8 + latin1.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(latin1.length).put(latin1).array());
        String utf8 = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(notUtf8).close()).getMessage();
        assertTrue(utf8.contains("not valid UTF-8"), utf8);
        String meta = rejected("{\"__metadata__\":{\"format\":1}}", 0);
        assertTrue(meta.contains("__metadata__") && meta.contains("format"), meta);
    }

    @Test
    void shardIndexEntriesMustNameAShard() throws Exception {
        SafetensorsCheckpoint.write(tmp, List.of(WritableTensor.f32("a", new long[] {300}, new float[300]),
                WritableTensor.f32("b", new long[] {300}, new float[300])), 1000);
        Path index = tmp.resolve(SafetensorsCheckpoint.INDEX_FILE);
        Files.writeString(index, "{\"weight_map\": {\"a\": 1}}");
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsCheckpoint.open(tmp));
        assertTrue(e.getMessage().contains("weight_map entry a") && e.getMessage().contains("got 1"), e.getMessage());
        Files.writeString(index, "{\"weight_map\": ");
        e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsCheckpoint.open(tmp));
        assertTrue(e.getMessage().contains(index.toString()) && e.getMessage().contains("not valid JSON"), e.getMessage());
    }
}
