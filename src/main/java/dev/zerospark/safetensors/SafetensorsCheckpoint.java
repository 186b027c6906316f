package dev.zerospark.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An HF-style weights checkpoint: either {@code model.safetensors} or shards listed in
 * {@code model.safetensors.index.json} ({@code {"metadata": {"total_size": N}, "weight_map": {tensor: file}}}).
 */
public final class SafetensorsCheckpoint implements TensorSource {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String where;
    private final Map<String, SafetensorsFile> owner;
    private final List<SafetensorsFile> files;

    private SafetensorsCheckpoint(String where, Map<String, SafetensorsFile> owner, List<SafetensorsFile> files) {
        this.where = where;
        this.owner = owner;
        this.files = files;
    }

    /** Opens a checkpoint from a model directory (index preferred over single file) or a single .safetensors file. */
    public static SafetensorsCheckpoint open(Path pathOrDir) throws IOException {
        if (!Files.isDirectory(pathOrDir)) {
            SafetensorsFile f = SafetensorsFile.open(pathOrDir);
            Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
            f.names().forEach(n -> owner.put(n, f));
            return new SafetensorsCheckpoint(pathOrDir.toString(), owner, List.of(f));
        }
        Path index = pathOrDir.resolve(INDEX_FILE);
        if (Files.exists(index)) {
            return openIndex(pathOrDir, index);
        }
        Path single = pathOrDir.resolve(SINGLE_FILE);
        if (!Files.exists(single)) {
            throw new java.io.FileNotFoundException("no " + SINGLE_FILE + " or " + INDEX_FILE + " in " + pathOrDir);
        }
        return open(single);
    }

    private static SafetensorsCheckpoint openIndex(Path dir, Path index) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (JsonProcessingException e) {
            throw new SafetensorsFormatException(index + ": not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new SafetensorsFormatException(index + ": missing object \"weight_map\"");
        }
        Map<String, SafetensorsFile> byFile = new LinkedHashMap<>();
        Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            for (Map.Entry<String, JsonNode> e : iterable(map)) {
                if (!e.getValue().isTextual()) {
                    throw new SafetensorsFormatException(index + ": weight_map entry " + e.getKey()
                            + " must name a shard file, got " + e.getValue());
                }
                String shard = e.getValue().asText();
                SafetensorsFile f = byFile.get(shard);
                if (f == null) {
                    Path p = dir.resolve(shard).normalize();
                    if (!p.startsWith(dir.normalize())) {
                        throw new SafetensorsFormatException(index + ": shard " + shard + " lies outside " + dir);
                    }
                    f = SafetensorsFile.open(p);
                    byFile.put(shard, f);
                    files.add(f);
                }
                if (!f.contains(e.getKey())) {
                    throw new SafetensorsFormatException(index + ": maps tensor " + e.getKey() + " to " + shard
                            + " but that shard does not contain it");
                }
                owner.put(e.getKey(), f);
            }
        } catch (IOException | RuntimeException ex) {
            for (SafetensorsFile f : files) {
                try {
                    f.close();
                } catch (IOException suppressed) {
                    ex.addSuppressed(suppressed);
                }
            }
            throw ex;
        }
        return new SafetensorsCheckpoint(dir.toString(), owner, files);
    }

    private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode node) {
        return node::fields;
    }

    @Override
    public List<String> names() {
        return new ArrayList<>(owner.keySet());
    }

    @Override
    public boolean contains(String name) {
        return owner.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        return file(name).info(name);
    }

    @Override
    public float[] readFloats(String name) throws IOException {
        return file(name).readFloats(name);
    }

    @Override
    public void readFloats(String name, long from, float[] dst, int off, int n) throws IOException {
        file(name).readFloats(name, from, dst, off, n);
    }

    @Override
    public long[] readLongs(String name) throws IOException {
        return file(name).readLongs(name);
    }

    private SafetensorsFile file(String name) {
        SafetensorsFile f = owner.get(name);
        if (f == null) {
            throw new TensorNotFoundException(name, where);
        }
        return f;
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafetensorsFile f : files) {
            try {
                f.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /**
     * Writes {@code tensors} into {@code dir} as {@code model.safetensors} when they fit in {@code maxShardBytes},
     * otherwise as {@code model-0000i-of-0000n.safetensors} shards plus {@code model.safetensors.index.json},
     * greedily in the given order (a tensor larger than the limit gets a shard of its own). Returns the files written.
     */
    public static List<Path> write(Path dir, List<WritableTensor> tensors, long maxShardBytes) throws IOException {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be > 0, got " + maxShardBytes);
        }
        Files.createDirectories(dir);
        Map<String, String> meta = Map.of("format", "pt");
        long total = tensors.stream().mapToLong(WritableTensor::byteSize).sum();
        Files.deleteIfExists(dir.resolve(INDEX_FILE));
        if (total <= maxShardBytes) {
            Path p = dir.resolve(SINGLE_FILE);
            SafetensorsWriter.write(p, tensors, meta);
            return List.of(p);
        }
        List<List<WritableTensor>> shards = new ArrayList<>();
        List<WritableTensor> cur = new ArrayList<>();
        long curBytes = 0;
        for (WritableTensor t : tensors) {
            if (!cur.isEmpty() && curBytes + t.byteSize() > maxShardBytes) {
                shards.add(cur);
                cur = new ArrayList<>();
                curBytes = 0;
            }
            cur.add(t);
            curBytes += t.byteSize();
        }
        shards.add(cur);
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode weightMap = index.putObject("weight_map");
        List<Path> written = new ArrayList<>();
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            Path p = dir.resolve(name);
            SafetensorsWriter.write(p, shards.get(i), meta);
            shards.get(i).forEach(t -> weightMap.put(t.name(), name));
            written.add(p);
        }
        Files.deleteIfExists(dir.resolve(SINGLE_FILE));
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(INDEX_FILE).toFile(), index);
        return written;
    }
}
