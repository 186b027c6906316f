package dev.zerospark.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
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
    private static final ObjectMapper JSON = new ObjectMapper();
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
        if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
            throw new SafetensorsFormatException(path + ": invalid header length " + headerLen + " (file has " + size + " bytes)");
        }
        ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
        readFully(ch, headerBuf, 8);
        JsonNode header;
        try {
            header = JSON.readTree(new String(headerBuf.array(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new SafetensorsFormatException(path + ": header is not valid JSON", e);
        }
        if (header == null || !header.isObject()) {
            throw new SafetensorsFormatException(path + ": header is not a JSON object");
        }
        long dataStart = 8 + headerLen;
        long dataSize = size - dataStart;
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                v.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            tensors.put(name, parseEntry(path, name, v, dataSize));
        }
        return new SafetensorsFile(path, ch, dataStart, Collections.unmodifiableMap(tensors),
                Collections.unmodifiableMap(metadata));
    }

    private static TensorInfo parseEntry(Path path, String name, JsonNode v, long dataSize) throws IOException {
        JsonNode dt = v.get("dtype");
        JsonNode sh = v.get("shape");
        JsonNode off = v.get("data_offsets");
        if (dt == null || sh == null || !sh.isArray() || off == null || !off.isArray() || off.size() != 2) {
            throw new SafetensorsFormatException(path + ": tensor " + name + " needs dtype, shape and data_offsets [begin, end]");
        }
        DType dtype = DType.parse(dt.asText(), name);
        long[] shape = new long[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = sh.get(i).asLong();
            if (shape[i] < 0) {
                throw new SafetensorsFormatException(path + ": tensor " + name + " has negative dimension in shape " + sh);
            }
        }
        long begin = off.get(0).asLong();
        long end = off.get(1).asLong();
        if (begin < 0 || end < begin || end > dataSize) {
            throw new SafetensorsFormatException(path + ": tensor " + name + " has data_offsets [" + begin + ", " + end
                    + "] outside the data section of " + dataSize + " bytes");
        }
        long expected = Math.multiplyExact(TensorInfo.numel(shape), dtype.bytes());
        if (end - begin != expected) {
            throw new SafetensorsFormatException(path + ": tensor " + name + " " + dtype + " " + TensorInfo.shapeString(shape)
                    + " needs " + expected + " bytes but data_offsets span " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
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
        if (!info.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("tensor " + name + " in " + path + " is " + info.dtype() + ", not a float type");
        }
        float[] out = new float[Math.toIntExact(info.numel())];
        int w = info.dtype().bytes();
        int[] pos = {0};
        readChunks(info, w, buf -> {
            while (buf.remaining() >= w) {
                out[pos[0]++] = switch (info.dtype()) {
                    case F32 -> buf.getFloat();
                    case F64 -> (float) buf.getDouble();
                    case BF16 -> Float.intBitsToFloat((buf.getShort() & 0xffff) << 16);
                    case F16 -> HalfFloats.toFloat(buf.getShort());
                    default -> throw new IllegalStateException();
                };
            }
        });
        return out;
    }

    @Override
    public long[] readLongs(String name) throws IOException {
        TensorInfo info = info(name);
        if (info.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("tensor " + name + " in " + path + " is " + info.dtype() + ", not an integer type");
        }
        long[] out = new long[Math.toIntExact(info.numel())];
        int w = info.dtype().bytes();
        int[] pos = {0};
        readChunks(info, w, buf -> {
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

    private interface ChunkConsumer {
        void accept(ByteBuffer buf);
    }

    /** Streams the tensor's bytes in chunks that hold whole elements, so huge tensors need no huge buffer. */
    private void readChunks(TensorInfo info, int width, ChunkConsumer consumer) throws IOException {
        long remaining = info.end() - info.begin();
        long position = dataStart + info.begin();
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
