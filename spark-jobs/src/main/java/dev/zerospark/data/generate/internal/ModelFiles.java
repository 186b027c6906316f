package dev.zerospark.data.generate.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.config.ConfigException;
import dev.zerospark.config.LocalPaths;
import dev.zerospark.safetensors.SafetensorsCheckpoint;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HF model directory named by a local path or a Hadoop URI: its identity (a sha256 over its weight files) and a
 * local copy of it. A remote model is copied once per JVM under Spark's per-application file root, so every task of
 * an executor finds it there; the weights go from the store to the executor directly, never through the driver.
 */
public final class ModelFiles {
    private static final Logger LOG = LoggerFactory.getLogger(ModelFiles.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Guards the copy: concurrent tasks of one JVM wait for one copy rather than making several. */
    private static final Object COPY_LOCK = new Object();

    private ModelFiles() {}

    /** A local path for plain paths and {@code file:} URIs, or null when {@code location} needs a Hadoop filesystem. */
    static Path localPath(String location) {
        String scheme = URI.create(location.replace('\\', '/').replace(" ", "%20")).getScheme();
        if (scheme == null || scheme.length() == 1 || scheme.equals("file")) return LocalPaths.of(location);
        return null;
    }

    /**
     * The model's id: sha256 over the weight files {@code ModelLoader} reads (model.safetensors, or the index and the
     * shards it lists), in name order, each as its name and content. Copies of one model get one id; config and
     * tokenizer files do not count. Streams the weights once, on the driver.
     */
    public static String modelId(String location, Configuration conf) {
        try {
            org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(location);
            FileSystem fs = dir.getFileSystem(conf);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (String name : weightFiles(fs, dir, location)) {
                sha.update(name.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                try (InputStream in = new DigestInputStream(fs.open(new org.apache.hadoop.fs.Path(dir, name)), sha)) {
                    while (in.read(buf) >= 0) {
                        // the digest reads along
                    }
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the weights of model " + location, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static List<String> weightFiles(FileSystem fs, org.apache.hadoop.fs.Path dir, String location) throws IOException {
        if (!fs.exists(new org.apache.hadoop.fs.Path(dir, "config.json"))) {
            throw new ConfigException("generate.model", "model " + location + " has no config.json: pass an HF model directory (or a checkpoint root to the CLI)");
        }
        org.apache.hadoop.fs.Path index = new org.apache.hadoop.fs.Path(dir, SafetensorsCheckpoint.INDEX_FILE);
        if (fs.exists(index)) {
            TreeSet<String> names = new TreeSet<>(List.of(SafetensorsCheckpoint.INDEX_FILE));
            try (InputStream in = fs.open(index)) {
                JsonNode map = JSON.readTree(in).path("weight_map");
                map.fields().forEachRemaining(e -> names.add(e.getValue().asText()));
            }
            return new ArrayList<>(names);
        }
        if (!fs.exists(new org.apache.hadoop.fs.Path(dir, SafetensorsCheckpoint.SINGLE_FILE))) {
            throw new ConfigException("generate.model", "model " + location + " has neither " + SafetensorsCheckpoint.SINGLE_FILE
                    + " nor " + SafetensorsCheckpoint.INDEX_FILE);
        }
        return List.of(SafetensorsCheckpoint.SINGLE_FILE);
    }

    /** The files a model directory needs locally: its weights and its JSON and text files (config, tokenizer, generation). */
    private static List<String> neededFiles(FileSystem fs, org.apache.hadoop.fs.Path dir, String location, boolean withWeights) throws IOException {
        TreeSet<String> names = new TreeSet<>();
        for (FileStatus s : fs.listStatus(dir)) {
            String n = s.getPath().getName();
            if (s.isFile() && (n.endsWith(".json") || n.endsWith(".txt") || n.endsWith(".model"))) names.add(n);
        }
        if (withWeights) names.addAll(weightFiles(fs, dir, location));
        return new ArrayList<>(names);
    }

    /**
     * A local directory holding the model: {@code location} itself when local, else a copy under this JVM's Spark
     * file root (the executor's work directory; the JVM's temp dir outside Spark) named by the URI's hash, made once:
     * files are copied into a temporary sibling that is renamed into place, so a task never sees half a model.
     */
    public static Path localize(String location, Configuration conf) {
        Path local = localPath(location);
        if (local != null) return local;
        Path target = copyRoot().resolve("zerospark-models").resolve(sha256(location).substring(0, 24));
        synchronized (COPY_LOCK) {
            if (Files.isDirectory(target)) return target;
            copy(location, conf, target, true);
            return target;
        }
    }

    /** The config and tokenizer files alone, for the driver's checks: a local model as is, a remote one copied into {@code scratch}. */
    public static Path metadata(String location, Configuration conf, Path scratch) {
        Path local = localPath(location);
        if (local != null) return local;
        Path target = scratch.resolve("model-metadata");
        copy(location, conf, target, false);
        return target;
    }

    private static void copy(String location, Configuration conf, Path target, boolean withWeights) {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(location);
            FileSystem fs = dir.getFileSystem(conf);
            Files.createDirectories(tmp);
            long bytes = 0;
            for (String name : neededFiles(fs, dir, location, withWeights)) {
                try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(dir, name))) {
                    bytes += Files.copy(in, tmp.resolve(name));
                }
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            LOG.info("copied model {} to {} ({} bytes)", location, target, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy model " + location + " to " + target, e);
        }
    }

    private static Path copyRoot() {
        return SparkEnv.get() != null ? Paths.get(SparkFiles.getRootDirectory()) : Paths.get(System.getProperty("java.io.tmpdir"));
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
