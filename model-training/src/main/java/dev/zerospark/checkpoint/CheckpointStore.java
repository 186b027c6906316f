package dev.zerospark.checkpoint;

import dev.zerospark.config.ConfigLoader;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checkpoints under a root URI on any Hadoop filesystem ({@code file://}, {@code s3a://}, {@code hdfs://},
 * {@code dbfs:/}). Layout: {@code <root>/step-<N>/<files>}, {@code <root>/step-<N>/manifest.json} (written last),
 * and {@code <root>/latest} naming the newest complete step. A step without a manifest is incomplete and ignored,
 * so a crash mid-save never harms the previous checkpoint. Ranks write their own files in parallel.
 */
public final class CheckpointStore {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
    private static final Pattern STEP_DIR = Pattern.compile("step-(\\d+)");
    public static final String MANIFEST = "manifest.json";
    public static final String LATEST = "latest";

    private final String root;
    private final Configuration conf;

    public CheckpointStore(String rootUri, Configuration hadoopConf) {
        this.root = rootUri.endsWith("/") ? rootUri.substring(0, rootUri.length() - 1) : rootUri;
        this.conf = hadoopConf;
    }

    public String root() {
        return root;
    }

    public String stepUri(long step) {
        return root + "/step-" + step;
    }

    /** Streams one file of a step, returning its sha256 and size for the manifest. */
    public Manifest.FileEntry write(long step, String name, Writer body) {
        String uri = stepUri(step) + "/" + name;
        try {
            Path path = new Path(uri);
            FileSystem fs = path.getFileSystem(conf);
            MessageDigest sha = sha256();
            long bytes;
            try (FSDataOutputStream raw = fs.create(path, true);
                 DigestOutputStream out = new DigestOutputStream(raw, sha)) {
                body.writeTo(out);
                out.flush();
                bytes = raw.getPos();
            }
            return new Manifest.FileEntry(HexFormat.of().formatHex(sha.digest()), bytes);
        } catch (IOException e) {
            throw CheckpointException.io("write", uri, e);
        }
    }

    /** Writes the manifest (marking the step complete), then moves {@code latest}, then applies retention. */
    public void commit(Manifest manifest, int keepLast) {
        long step = manifest.step();
        String uri = stepUri(step) + "/" + MANIFEST;
        try {
            byte[] json = ConfigLoader.jsonMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest);
            // Written aside and renamed into place, so a crash mid-write never leaves a torn manifest.json that
            // would mark the step complete.
            Path tmp = new Path(uri + ".tmp");
            writeBytes(tmp.toString(), json);
            if (!tmp.getFileSystem(conf).rename(tmp, new Path(uri))) {
                throw new IOException("rename of " + tmp + " to " + uri + " failed");
            }
            writeBytes(root + "/" + LATEST, ("step-" + step + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw CheckpointException.io("commit", uri, e);
        }
        LOG.info("checkpoint step {} committed to {}", step, stepUri(step));
        if (keepLast > 0) retain(keepLast);
    }

    /** Steps that have a manifest, oldest first. */
    public List<Long> completeSteps() {
        List<Long> steps = new ArrayList<>();
        try {
            Path rootPath = new Path(root);
            FileSystem fs = rootPath.getFileSystem(conf);
            if (!fs.exists(rootPath)) return steps;
            for (FileStatus st : fs.listStatus(rootPath)) {
                Matcher m = STEP_DIR.matcher(st.getPath().getName());
                if (st.isDirectory() && m.matches() && fs.exists(new Path(st.getPath(), MANIFEST))) {
                    steps.add(Long.parseLong(m.group(1)));
                }
            }
        } catch (IOException e) {
            throw CheckpointException.io("list", root, e);
        }
        steps.sort(Long::compare);
        return steps;
    }

    public Manifest manifest(long step) {
        String uri = stepUri(step) + "/" + MANIFEST;
        try (InputStream in = open(uri)) {
            return ConfigLoader.jsonMapper().readValue(in, Manifest.class);
        } catch (IOException e) {
            throw CheckpointException.io("read manifest", uri, e);
        }
    }

    /** Recomputes every file's sha256 and compares it with the manifest. */
    public void verify(Manifest manifest) {
        for (var e : manifest.files().entrySet()) {
            String uri = stepUri(manifest.step()) + "/" + e.getKey();
            String actual;
            try (InputStream in = open(uri)) {
                MessageDigest sha = sha256();
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) sha.update(buf, 0, n);
                actual = HexFormat.of().formatHex(sha.digest());
            } catch (IOException ex) {
                throw CheckpointException.io("read", uri, ex);
            }
            if (!actual.equals(e.getValue().sha256())) {
                throw new ChecksumMismatchException(uri, e.getValue().sha256(), actual);
            }
        }
    }

    /**
     * The newest complete step whose files all match their checksums. A corrupt step is logged with the file
     * that failed and the previous one is tried, so a damaged shard costs one checkpoint interval, not the run.
     */
    public Optional<Manifest> latestValid() {
        List<Long> steps = completeSteps();
        for (int i = steps.size() - 1; i >= 0; i--) {
            try {
                Manifest m = manifest(steps.get(i));
                verify(m);
                return Optional.of(m);
            } catch (CheckpointException e) { // a checksum mismatch, or a manifest or shard that can't be read
                LOG.warn("checkpoint step {} is unusable ({}); falling back to the previous one", steps.get(i), e.getMessage());
            }
        }
        return Optional.empty();
    }

    public InputStream open(long step, String name) {
        String uri = stepUri(step) + "/" + name;
        try {
            return open(uri);
        } catch (IOException e) {
            throw CheckpointException.io("open", uri, e);
        }
    }

    /** Deletes complete steps beyond the newest {@code keepLast}. */
    public void retain(int keepLast) {
        List<Long> steps = completeSteps();
        for (int i = 0; i < steps.size() - keepLast; i++) {
            String uri = stepUri(steps.get(i));
            try {
                Path p = new Path(uri);
                p.getFileSystem(conf).delete(p, true);
                LOG.info("retention: deleted {}", uri);
            } catch (IOException e) {
                throw CheckpointException.io("delete", uri, e);
            }
        }
    }

    private InputStream open(String uri) throws IOException {
        Path p = new Path(uri);
        return p.getFileSystem(conf).open(p);
    }

    private void writeBytes(String uri, byte[] bytes) throws IOException {
        Path p = new Path(uri);
        try (OutputStream out = p.getFileSystem(conf).create(p, true)) {
            out.write(bytes);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Writes one checkpoint file's bytes. */
    @FunctionalInterface
    public interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }
}
