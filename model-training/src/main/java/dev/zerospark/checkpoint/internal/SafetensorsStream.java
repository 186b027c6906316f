package dev.zerospark.checkpoint.internal;

import dev.zerospark.safetensors.SafetensorsWriter;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.checkpoint.CheckpointException;
import dev.zerospark.checkpoint.CheckpointFile;
import dev.zerospark.checkpoint.ChunkedOutputStream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors layout, streamed: written front to back to a store stream (the header, then each tensor) and
 * read by position through a verified {@link CheckpointFile}, so neither side needs a local file or the whole
 * thing in memory. Each tensor starts a new checksum chunk, so reading a range of one never reads another.
 */
public final class SafetensorsStream {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BUFFER_BYTES = 1 << 20;
    private static final long MAX_HEADER = 100L << 20;

    private SafetensorsStream() {}

    /** Where a streamed fp32 tensor's values come from, a bounded chunk at a time (e.g. a tensor's native memory). */
    @FunctionalInterface
    public interface FloatSource {
        /** Copies elements {@code [from, from + n)} into {@code dst[off, off + n)}. */
        void read(long from, float[] dst, int off, int n);
    }

    /** A tensor to write: fp32 values (read in chunks) or int64 values (exactly one non-null). */
    public record Tensor(String name, long[] shape, FloatSource floats, long[] longs) {
        public static Tensor f32(String name, float[] values) {
            return f32(name, values.length, (from, dst, off, n) -> System.arraycopy(values, (int) from, dst, off, n));
        }

        /** {@code length} fp32 values from {@code source}, never all in memory at once. */
        public static Tensor f32(String name, long length, FloatSource source) {
            return new Tensor(name, new long[] {length}, source, null);
        }

        public static Tensor i64(String name, long[] values) {
            return new Tensor(name, new long[] {values.length}, null, values);
        }

        long bytes() {
            return floats != null ? 4L * shape[0] : 8L * longs.length;
        }
    }

    /** Where a tensor's bytes lie in the file (absolute positions). */
    public record Entry(String dtype, long[] shape, long begin, long end) {
        public long elements() {
            return (end - begin) / ("I64".equals(dtype) || "F64".equals(dtype) ? 8 : "F32".equals(dtype) ? 4 : 2);
        }
    }

    public static void write(ChunkedOutputStream out, List<Tensor> tensors) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Tensor t : tensors) {
            ObjectNode e = header.putObject(t.name());
            e.put("dtype", t.floats() != null ? "F32" : "I64");
            var shape = e.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            e.putArray("data_offsets").add(offset).add(offset + t.bytes());
            offset += t.bytes();
        }
        out.write(SafetensorsWriter.headerBytes(header));
        ByteBuffer buf = null;
        float[] staging = null;
        for (Tensor t : tensors) {
            out.endChunk();
            if (t.floats() != null) { // a bounded chunk at a time, converted straight into the stream's chunk buffer
                if (staging == null) staging = new float[BUFFER_BYTES / 4];
                long n = t.shape()[0];
                for (long from = 0; from < n; from += staging.length) {
                    int count = (int) Math.min(staging.length, n - from);
                    t.floats().read(from, staging, 0, count);
                    out.writeFloats(staging, 0, count);
                }
                continue;
            }
            if (buf == null) buf = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            int n = t.longs().length;
            int per = BUFFER_BYTES / 8;
            for (int from = 0; from < n; from += per) {
                buf.clear();
                int to = Math.min(n, from + per);
                buf.asLongBuffer().put(t.longs(), from, to - from);
                out.write(buf.array(), 0, (to - from) * 8);
            }
        }
    }

    /** The tensors of a file by name, with absolute byte positions. */
    public static Map<String, Entry> header(CheckpointFile f) {
        byte[] len = new byte[8];
        f.readFully(0, len, 0, 8);
        long headerLen = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > f.size()) {
            throw new CheckpointException(f.uri() + ": invalid safetensors header length " + headerLen);
        }
        byte[] text = new byte[(int) headerLen];
        f.readFully(8, text, 0, text.length);
        JsonNode header;
        try {
            header = JSON.readTree(new String(text, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new CheckpointException(f.uri() + ": safetensors header is not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        long dataStart = 8 + headerLen;
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().equals("__metadata__")) continue;
            JsonNode off = e.getValue().path("data_offsets");
            JsonNode shape = e.getValue().path("shape");
            long[] dims = new long[shape.size()];
            for (int i = 0; i < dims.length; i++) dims[i] = shape.get(i).asLong();
            long begin = dataStart + off.path(0).asLong(-1);
            long end = dataStart + off.path(1).asLong(-1);
            if (begin < dataStart || end < begin || end > f.size()) {
                throw new CheckpointException(f.uri() + ": tensor " + e.getKey() + " has data_offsets " + off + " outside the file");
            }
            entries.put(e.getKey(), new Entry(e.getValue().path("dtype").asText(), dims, begin, end));
        }
        return entries;
    }

    /** Reads {@code count} fp32 values of {@code tensor}, from element {@code from}, into {@code dst[off..]}. */
    public static void readFloats(CheckpointFile f, String name, Entry tensor, long from, float[] dst, int off, int count) {
        readFloats(f, name, tensor, from, FloatBuffer.wrap(dst, off, count), count);
    }

    /**
     * Reads {@code count} fp32 values of {@code tensor}, from element {@code from}, into {@code dst} from its
     * position on (which it advances): e.g. a view of a tensor's own memory, so the values are copied once.
     */
    public static void readFloats(CheckpointFile f, String name, Entry tensor, long from, FloatBuffer dst, int count) {
        checkFloats(f, name, tensor, from, count);
        // Straight from the verified chunk buffers; a value split across two chunks (a chunk size that is not a
        // multiple of 4) is put together from both.
        byte[] carry = new byte[4];
        int[] carried = {0};
        f.read(tensor.begin() + 4 * from, 4L * count, bytes -> {
            while (carried[0] > 0 && bytes.hasRemaining()) {
                carry[carried[0]++] = bytes.get();
                if (carried[0] == 4) {
                    dst.put(ByteBuffer.wrap(carry).order(ByteOrder.LITTLE_ENDIAN).getFloat(0));
                    carried[0] = 0;
                }
            }
            int n = bytes.remaining() / 4;
            dst.put(bytes.asFloatBuffer()); // the view holds exactly the n whole values
            bytes.position(bytes.position() + 4 * n);
            while (bytes.hasRemaining()) carry[carried[0]++] = bytes.get();
        });
    }

    /**
     * Reads {@code count} fp32 values of {@code tensor}, from element {@code from}, as {@code 4 count} little-endian
     * bytes into {@code dst} from its position on (which it advances): into a direct buffer, such as a tensor's own
     * memory, a local file's chunks are read straight into place ({@link CheckpointFile#readInto}).
     */
    public static void readFloatBytes(CheckpointFile f, String name, Entry tensor, long from, ByteBuffer dst, int count) {
        checkFloats(f, name, tensor, from, count);
        f.readInto(tensor.begin() + 4 * from, dst.slice(dst.position(), 4 * count));
        dst.position(dst.position() + 4 * count);
    }

    private static void checkFloats(CheckpointFile f, String name, Entry tensor, long from, int count) {
        if (!"F32".equals(tensor.dtype())) throw new CheckpointException(f.uri() + ": tensor " + name + " is " + tensor.dtype() + ", not F32");
        if (from < 0 || from + count > tensor.elements()) {
            throw new CheckpointException(f.uri() + ": elements " + from + ".." + (from + count) + " are outside tensor " + name
                    + " (" + tensor.elements() + " elements)");
        }
    }

    public static long[] readLongs(CheckpointFile f, String name, Entry tensor) {
        if (!"I64".equals(tensor.dtype())) throw new CheckpointException(f.uri() + ": tensor " + name + " is " + tensor.dtype() + ", not I64");
        int n = Math.toIntExact(tensor.elements());
        byte[] buf = new byte[8 * n];
        f.readFully(tensor.begin(), buf, 0, buf.length);
        long[] values = new long[n];
        ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(values);
        return values;
    }
}
