package dev.zerospark.checkpoint;

import dev.zerospark.safetensors.SafetensorsWriter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.model.TensorSpec;
import dev.zerospark.safetensors.DType;
import dev.zerospark.safetensors.HalfFloats;
import dev.zerospark.safetensors.SafetensorsCheckpoint;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes HF safetensors weights to a directory on any Hadoop filesystem ({@code file://}, {@code s3a://},
 * {@code dbfs:/}), one tensor at a time: each file's header first (computed from the specs alone), then each
 * tensor's bytes, fetched from {@link Source} a bounded range at a time when it is its turn and encoded to the
 * target dtype in a small buffer. Memory is those two buffers, whatever the size of the model or of its largest
 * tensor (an embedding of more than 2^31 elements included). The layout matches
 * {@link SafetensorsCheckpoint#write}: {@code model.safetensors} when all fits one shard, else
 * {@code model-0000i-of-0000n.safetensors} and {@code model.safetensors.index.json}.
 */
final class HfWeightsStream {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Elements asked of the {@link Source} and encoded at a time. */
    static final int BUFFER_ELEMENTS = 1 << 18;

    /** The fp32 values of one tensor, asked for range by range, in file order. */
    @FunctionalInterface
    interface Source {
        /** Copies elements {@code [from, from + n)} of {@code spec}'s values into {@code dst[0, n)}. */
        void read(TensorSpec spec, long from, float[] dst, int n) throws IOException;
    }

    private HfWeightsStream() {}

    /** Writes {@code specs} (in order) under {@code dirUri}; returns the file names written. */
    static List<String> write(String dirUri, Configuration conf, List<TensorSpec> specs, DType dtype, long maxShardBytes,
                              Source source) throws IOException {
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) {
            throw new IllegalArgumentException("cannot export weights as " + dtype + ": use F32, BF16 or F16");
        }
        if (maxShardBytes <= 0) throw new IllegalArgumentException("max shard size must be > 0 bytes, got " + maxShardBytes);
        List<List<TensorSpec>> shards = new ArrayList<>();
        List<TensorSpec> cur = new ArrayList<>();
        long curBytes = 0;
        long total = 0;
        for (TensorSpec s : specs) {
            long bytes = s.numel() * dtype.bytes();
            if (!cur.isEmpty() && curBytes + bytes > maxShardBytes) {
                shards.add(cur);
                cur = new ArrayList<>();
                curBytes = 0;
            }
            cur.add(s);
            curBytes += bytes;
            total += bytes;
        }
        shards.add(cur);
        Path dir = new Path(dirUri);
        FileSystem fs = dir.getFileSystem(conf);
        fs.mkdirs(dir);
        List<String> names = new ArrayList<>();
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode weightMap = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            String name = shards.size() == 1 ? SafetensorsCheckpoint.SINGLE_FILE
                    : String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            try (FSDataOutputStream out = fs.create(new Path(dir, name), true)) {
                writeFile(out, shards.get(i), dtype, source);
            }
            for (TensorSpec s : shards.get(i)) weightMap.put(s.name(), name);
            names.add(name);
        }
        // A stale file of an earlier export would shadow or contradict this one.
        fs.delete(new Path(dir, shards.size() == 1 ? SafetensorsCheckpoint.INDEX_FILE : SafetensorsCheckpoint.SINGLE_FILE), false);
        if (shards.size() > 1) {
            try (FSDataOutputStream out = fs.create(new Path(dir, SafetensorsCheckpoint.INDEX_FILE), true)) {
                out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(index));
            }
        }
        return names;
    }

    private static void writeFile(OutputStream out, List<TensorSpec> tensors, DType dtype, Source source) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (TensorSpec t : tensors) {
            ObjectNode e = header.putObject(t.name());
            e.put("dtype", dtype.name());
            var shape = e.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            long bytes = t.numel() * dtype.bytes();
            e.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        out.write(SafetensorsWriter.headerBytes(header));
        ByteBuffer buf = ByteBuffer.allocate(BUFFER_ELEMENTS * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        long largest = tensors.stream().mapToLong(TensorSpec::numel).max().orElse(0);
        float[] values = new float[(int) Math.min(BUFFER_ELEMENTS, largest)];
        for (TensorSpec t : tensors) {
            long numel = t.numel();
            for (long from = 0; from < numel; from += BUFFER_ELEMENTS) {
                int n = (int) Math.min(BUFFER_ELEMENTS, numel - from);
                source.read(t, from, values, n);
                buf.clear();
                if (dtype == DType.F32) {
                    buf.asFloatBuffer().put(values, 0, n);
                    buf.position(4 * n);
                } else {
                    for (int i = 0; i < n; i++) {
                        buf.putShort(dtype == DType.BF16 ? HalfFloats.toBf16(values[i]) : HalfFloats.toHalf(values[i]));
                    }
                }
                out.write(buf.array(), 0, buf.position());
            }
        }
    }
}
