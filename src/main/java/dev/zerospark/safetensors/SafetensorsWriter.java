package dev.zerospark.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.flat.Chunks;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes one safetensors file. Tensors are laid out in the given order; the header is padded with spaces to a
 * multiple of 8 bytes as the reference implementation does. The file is written to a temporary sibling and moved
 * into place, so a crash never leaves a truncated file under the final name.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHUNK_ELEMS = 1 << 20;

    private SafetensorsWriter() {}

    public static void write(Path file, List<WritableTensor> tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, metadata, CHUNK_ELEMS);
    }

    /** As {@link #write(Path, List, Map)}, encoding at most {@code chunkElems} elements at a time. */
    static void write(Path file, List<WritableTensor> tensors, Map<String, String> metadata, int chunkElems)
            throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        Set<String> seen = new HashSet<>();
        long offset = 0;
        for (WritableTensor t : tensors) {
            if (!seen.add(t.name())) {
                throw new IllegalArgumentException("duplicate tensor name " + t.name() + " for " + file);
            }
            ObjectNode e = header.putObject(t.name());
            e.put("dtype", t.dtype().name());
            ArrayNode shape = e.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            ArrayNode off = e.putArray("data_offsets");
            off.add(offset);
            offset += t.byteSize();
            off.add(offset);
        }
        ByteBuffer head = ByteBuffer.wrap(headerBytes(header));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, head);
            ByteBuffer buf = ByteBuffer.allocate(chunkElems * 8);
            float[] staging = new float[chunkElems];
            for (WritableTensor t : tensors) {
                // long chunk starts: an int loop index overflowed past 2^31 - chunkElems elements.
                Chunks chunks = new Chunks(t.length(), chunkElems);
                for (long c = 0; c < chunks.count(); c++) {
                    buf.clear();
                    t.encode(chunks.start(c), chunks.length(c), buf, staging);
                    buf.flip();
                    writeFully(ch, buf);
                }
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /**
     * A safetensors file's first bytes: the header's length (u64, little endian) and the header JSON, padded with
     * spaces to a multiple of 8 so the tensor data that follows is aligned. Shared by every writer of the format.
     */
    public static byte[] headerBytes(JsonNode header) throws IOException {
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        return head.array();
    }
}
