package dev.zerospark.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reader for one safetensors file: an 8-byte little-endian header length, a JSON header
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}}, then the raw data.
 * Data is read on demand with positional reads, so opening a large file costs only the header.
 */
public final class SafetensorsFile implements TensorSource {
    /** Duplicate tensor names and trailing bytes after the JSON object are format errors, not silently dropped. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** The reference implementation refuses headers above 100 MB; so do we, to catch garbage lengths early. */
    private static final long MAX_HEADER = 100L << 20;
    private static final int CHUNK = 1 << 24;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart,
                            Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return parse(path, ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static SafetensorsFile parse(Path path, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new SafetensorsFormatException(path + ": file too short for a safetensors header (" + size + " bytes)");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0);
        long headerLen = lenBuf.flip().getLong();
        // Checked against the file's real size before the header buffer is allocated.
        if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
            throw new SafetensorsFormatException(path + ": invalid header length " + headerLen + " (file has " + size + " bytes)");
        }
        ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
        readFully(ch, headerBuf, 8);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(headerBuf.flip()).toString(); // reports, never replaces
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException(path + ": header is not valid UTF-8", e);
        }
        JsonNode header;
        try {
            header = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new SafetensorsFormatException(path + ": header is not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
        if (header == null || !header.isObject()) {
            throw new SafetensorsFormatException(path + ": header is not a JSON object");
        }
        long dataStart = 8 + headerLen;
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                parseMetadata(path, v, metadata);
                continue;
            }
            tensors.put(name, parseEntry(path, name, v));
        }
        checkContiguous(path, tensors.values(), size - dataStart);
        return new SafetensorsFile(path, ch, dataStart, Collections.unmodifiableMap(tensors),
                Collections.unmodifiableMap(metadata));
    }

    /** {@code __metadata__} is a string-to-string map, as in the reference implementation. */
    private static void parseMetadata(Path path, JsonNode v, Map<String, String> metadata) throws IOException {
        if (!v.isObject()) {
            throw new SafetensorsFormatException(path + ": __metadata__ must be an object of strings, got " + v.getNodeType());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) {
                throw new SafetensorsFormatException(path + ": __metadata__ value of " + m.getKey()
                        + " must be a string, got " + m.getValue());
            }
            metadata.put(m.getKey(), m.getValue().asText());
        }
    }

    private static TensorInfo parseEntry(Path path, String name, JsonNode v) throws IOException {
        JsonNode dt = v.get("dtype");
        JsonNode sh = v.get("shape");
        JsonNode off = v.get("data_offsets");
        if (dt == null || !dt.isTextual() || sh == null || !sh.isArray() || off == null || !off.isArray() || off.size() != 2) {
            throw new SafetensorsFormatException(path + ": tensor " + name + " needs dtype, shape and data_offsets [begin, end]");
        }
        DType dtype = DType.parse(dt.asText(), name);
        long[] shape = new long[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegativeLong(path, name, "shape", sh, sh.get(i));
        }
        long begin = nonNegativeLong(path, name, "data_offsets", off, off.get(0));
        long end = nonNegativeLong(path, name, "data_offsets", off, off.get(1));
        if (end < begin) {
            throw new SafetensorsFormatException(path + ": tensor " + name + " has data_offsets [" + begin + ", " + end
                    + "] that end before they begin");
        }
        long expected;
        try {
            expected = Math.multiplyExact(TensorInfo.numel(shape), dtype.bytes());
        } catch (ArithmeticException overflow) {
            throw new SafetensorsFormatException(path + ": tensor " + name + " " + dtype + " " + TensorInfo.shapeString(shape)
                    + " has a byte size that overflows 64 bits", overflow);
        }
        if (end - begin != expected) {
            throw new SafetensorsFormatException(path + ": tensor " + name + " " + dtype + " " + TensorInfo.shapeString(shape)
                    + " needs " + expected + " bytes but data_offsets span " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    /** A JSON integer >= 0 that fits a long: {@code asLong()} would read "7", 1.5, true or null as a number. */
    private static long nonNegativeLong(Path path, String tensor, String field, JsonNode array, JsonNode n)
            throws IOException {
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0) {
            throw new SafetensorsFormatException(path + ": tensor " + tensor + " has " + field + " " + array
                    + "; entries must be non-negative integers");
        }
        return n.asLong();
    }

    /**
     * As the reference implementation: sorted by offset, the tensors tile the data section exactly, from byte 0 to
     * its end, with no gap and no overlap. This also bounds every declared size by the file's real size, before
     * anything is allocated for the data.
     */
    private static void checkContiguous(Path path, Collection<TensorInfo> tensors, long dataSize) throws IOException {
        List<TensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long cursor = 0;
        for (TensorInfo t : sorted) {
            if (t.begin() != cursor) {
                throw new SafetensorsFormatException(path + ": tensor " + t.name() + " has data_offsets [" + t.begin()
                        + ", " + t.end() + "] but the previous tensor ends at byte " + cursor + " ("
                        + (t.begin() < cursor ? "overlapping" : "non-contiguous") + " data)");
            }
            cursor = t.end();
        }
        if (cursor != dataSize) {
            throw new SafetensorsFormatException(path + ": tensors declare " + cursor + " bytes of data but the file's data"
                    + " section holds " + dataSize + " bytes");
        }
    }

    public Path path() {
        return path;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public List<String> names() {
        return new ArrayList<>(tensors.keySet());
    }

    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new TensorNotFoundException(name, path.toString());
        }
        return info;
    }

    @Override
    public float[] readFloats(String name) throws IOException {
        TensorInfo info = info(name);
        float[] out = new float[arrayLength(info)];
        readFloats(name, 0, out, 0, out.length);
        return out;
    }

    @Override
    public void readFloats(String name, long from, float[] dst, int off, int n) throws IOException {
        TensorInfo info = info(name);
        if (!info.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("tensor " + name + " in " + path + " is " + info.dtype() + ", not a float type");
        }
        if (from < 0 || n < 0 || from > info.numel() - n) {
            throw new IndexOutOfBoundsException("elements [" + from + ", +" + n + ") are outside tensor " + info
                    + " in " + path + " of " + info.numel() + " elements");
        }
        int w = info.dtype().bytes();
        int[] pos = {off};
        readChunks(info, w, from, n, buf -> {
            while (buf.remaining() >= w) {
                dst[pos[0]++] = switch (info.dtype()) {
                    case F32 -> buf.getFloat();
                    case F64 -> (float) buf.getDouble();
                    case BF16 -> Float.intBitsToFloat((buf.getShort() & 0xffff) << 16);
                    case F16 -> HalfFloats.toFloat(buf.getShort());
                    default -> throw new IllegalStateException();
                };
            }
        });
    }

    @Override
    public long[] readLongs(String name) throws IOException {
        TensorInfo info = info(name);
        if (info.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("tensor " + name + " in " + path + " is " + info.dtype() + ", not an integer type");
        }
        long[] out = new long[arrayLength(info)];
        int w = info.dtype().bytes();
        int[] pos = {0};
        readChunks(info, w, 0, out.length, buf -> {
            while (buf.remaining() >= w) {
                out[pos[0]++] = switch (info.dtype()) {
                    case I64 -> buf.getLong();
                    case I32 -> buf.getInt();
                    case I16 -> buf.getShort();
                    case I8 -> buf.get();
                    case U8, BOOL -> buf.get() & 0xff;
                    default -> throw new IllegalStateException();
                };
            }
        });
        return out;
    }

    /** Checked before allocating: the header's size is only bounded by the file, which may be large and sparse. */
    private int arrayLength(TensorInfo info) {
        if (info.numel() > MAX_READ_ELEMENTS) {
            throw new TensorTooLargeException(info, path.toString(), MAX_READ_ELEMENTS);
        }
        return (int) info.numel();
    }

    private interface ChunkConsumer {
        void accept(ByteBuffer buf);
    }

    /**
     * Streams the bytes of elements {@code [from, from + count)} in chunks that hold whole elements, so huge
     * tensors need no huge buffer. Positions are longs: a tensor may start, or run, past byte 2^31 of the file.
     */
    private void readChunks(TensorInfo info, int width, long from, long count, ChunkConsumer consumer)
            throws IOException {
        long remaining = count * width;
        long position = dataStart + info.begin() + from * width;
        int chunk = (CHUNK / width) * width;
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(chunk, Math.max(remaining, 1))).order(ByteOrder.LITTLE_ENDIAN);
        while (remaining > 0) {
            int n = (int) Math.min(buf.capacity(), remaining);
            buf.clear().limit(n);
            readFully(channel, buf, position);
            buf.flip();
            consumer.accept(buf);
            position += n;
            remaining -= n;
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long p = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, p);
            if (n < 0) {
                throw new SafetensorsFormatException("unexpected end of file at byte " + p);
            }
            p += n;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
