package dev.zerospark.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import dev.zerospark.checkpoint.internal.ChunkMap;
import dev.zerospark.config.ConfigLoader;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Checkpoints under a root URI on any Hadoop filesystem ({@code file://}, {@code s3a://}, {@code hdfs://},
 * {@code dbfs:/}). Layout: {@code <root>/step-<N>/<files>}, {@code <root>/step-<N>/manifest.json} (written last),
 * and {@code <root>/latest} naming the newest verified step. A step without a manifest is incomplete and ignored,
 * so a crash mid-save never harms the previous checkpoint. Ranks stream their own files in parallel, hashed per
 * chunk on the way ({@link ChunkedOutputStream}), and read them back through {@link CheckpointFile}, which verifies
 * each chunk it reads: the driver only checks manifests and file sizes, never hashes a step. Every manifest records
 * the run that wrote it: retention and restarts act only on that run's steps.
 */
public final class CheckpointStore {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
    public static final String MANIFEST = "manifest.json";
    public static final String LATEST = "latest";
    /**
     * Bytes per checksummed chunk: a rank reading part of another rank's shard reads at most one chunk more than it
     * needs at each end of a range, and a manifest lists one digest per chunk (2,500 for a 10 GB shard).
     */
    public static final int DEFAULT_CHUNK_BYTES = 4 << 20;

    private final String root;
    private final Configuration conf;
    private final int chunkBytes;
    /** Steps this store has checked since their last commit, so retention checks each step once. */
    private final Set<Long> verified = ConcurrentHashMap.newKeySet();

    public CheckpointStore(String rootUri, Configuration hadoopConf) {
        this(rootUri, hadoopConf, DEFAULT_CHUNK_BYTES);
    }

    /** A store writing chunks of {@code chunkBytes} (reading follows what each manifest recorded). */
    public CheckpointStore(String rootUri, Configuration hadoopConf, int chunkBytes) {
        if (chunkBytes < 1) throw new IllegalArgumentException("checkpoint chunk size must be >= 1 byte, got " + chunkBytes);
        this.root = rootUri.endsWith("/") ? rootUri.substring(0, rootUri.length() - 1) : rootUri;
        this.conf = hadoopConf;
        this.chunkBytes = chunkBytes;
    }

    public String root() {
        return root;
    }

    /** Whether anything exists at the root: a mistyped root is a user's mistake, not an empty listing. */
    public boolean rootExists() {
        Path p = new Path(root);
        try {
            return p.getFileSystem(conf).exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach checkpoint root " + root, e);
        }
    }

    public String stepUri(long step) {
        return root + "/step-" + step;
    }

    /**
     * Streams one file of a step straight to the store (no local copy), returning its size and chunk checksums
     * for the manifest.
     */
    public Manifest.FileEntry write(long step, String name, Writer body) {
        String uri = stepUri(step) + "/" + name;
        try {
            Path path = new Path(uri);
            FileSystem fs = path.getFileSystem(conf);
            Manifest.FileEntry entry;
            // Closing the chunked stream (first) waits for the digests still being computed, also when the body fails.
            try (FSDataOutputStream raw = fs.create(path, true); ChunkedOutputStream out = new ChunkedOutputStream(raw, chunkBytes)) {
                body.writeTo(out);
                entry = out.entry();
                out.flush();
            }
            return entry;
        } catch (IOException e) {
            throw CheckpointException.io("write", uri, e);
        }
    }

    /**
     * Opens one file of a step for verified positioned reads. The file must be listed in {@code manifest} (checked
     * by {@link #manifest(long)}); what is read is checked against its recorded chunk checksums.
     */
    public CheckpointFile openVerified(Manifest manifest, String name) {
        Manifest.FileEntry entry = manifest.files().get(name);
        String uri = stepUri(manifest.step()) + "/" + name;
        if (entry == null) throw CorruptCheckpointException.missingFile(stepUri(manifest.step()), name);
        ChunkMap chunks = ManifestChecks.chunkMap(stepUri(manifest.step()), name, entry);
        try {
            Path p = new Path(uri);
            FileSystem fs = verifiedReadFs(p.getFileSystem(conf));
            return CheckpointFile.open(fs, p, stepUri(manifest.step()), name, entry, chunks);
        } catch (IOException e) {
            throw CheckpointException.io("open", uri, e);
        }
    }

    /** The filesystem {@link #openVerified} reads {@code step}'s files through (see {@link #verifiedReadFs}). */
    public FileSystem readFileSystem(long step) throws IOException {
        return verifiedReadFs(new Path(stepUri(step)).getFileSystem(conf));
    }

    /**
     * The filesystem verified reads go through: under a {@link ChecksumFileSystem} ({@code file://}), its raw
     * filesystem. Every byte a {@link CheckpointFile} hands out is checked against the manifest's checksums, so the
     * local filesystem's own {@code .crc} side file (a second open per file and a CRC32 per 512 bytes, which at
     * checkpoint sizes cost as much as the read itself) would only check it twice. Writes keep the side file, so other
     * readers of the step still find it current. {@code bench train}'s raw read goes through it too
     * ({@link #readFileSystem}), to read the same bytes the same way as a load.
     */
    private static FileSystem verifiedReadFs(FileSystem fs) {
        return fs instanceof ChecksumFileSystem checked ? checked.getRawFileSystem() : fs;
    }

    /**
     * Writes the manifest (marking the step complete), applies {@code retention}, then points {@code latest} at
     * the newest step that retention verified (the committed one unless it failed verification).
     */
    public void commit(Manifest manifest, Retention retention) {
        long step = manifest.step();
        String uri = stepUri(step) + "/" + MANIFEST;
        try {
            byte[] json = ConfigLoader.jsonMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest);
            // Written aside and renamed into place, so a crash mid-write never leaves a torn manifest.json that
            // would mark the step complete.
            Path tmp = new Path(uri + ".tmp");
            writeBytes(tmp.toString(), json);
            replace(tmp, new Path(uri));
        } catch (IOException e) {
            throw CheckpointException.io("commit", uri, e);
        }
        verified.remove(step); // a re-committed step has new files: the earlier verification no longer holds
        LOG.info("checkpoint step {} committed to {}", step, stepUri(step));
        long newest = step;
        if (retention.keepLast() > 0) {
            newest = retain(manifest.runId(), retention, step);
            if (newest < 0) {
                LOG.error("no verified checkpoint of run {} under {}; {} left as it was", manifest.runId(), root, LATEST);
                return;
            }
        }
        writeLatest(newest);
    }

    /**
     * What a commit may delete. {@code keepLast} (0 keeps everything) counts only verified steps of the committing
     * run; {@code resumedFrom} (-1: none) is never deleted, so a run that can't save a good step can still restart.
     */
    public record Retention(int keepLast, long resumedFrom) {
        public Retention {
            if (keepLast < 0) throw new IllegalArgumentException("keep_last must be >= 0, got " + keepLast);
        }
    }

    /** Steps that have a manifest, oldest first. Step directories whose number does not parse are skipped. */
    public List<Long> completeSteps() {
        return steps(true);
    }

    /** The highest step directory, complete or not (-1 when there is none). */
    public long newestStep() {
        List<Long> all = steps(false);
        return all.isEmpty() ? -1 : all.get(all.size() - 1);
    }

    /**
     * Reads and checks one step's manifest. Manifests are untrusted input: a file key that is absolute, contains
     * {@code ..} or resolves outside the step directory, an entry without a checksum or size, a manifest listing no
     * files, or one recording another step, is a {@link CorruptCheckpointException} naming the key.
     */
    public Manifest manifest(long step) {
        String uri = stepUri(step) + "/" + MANIFEST;
        Manifest m;
        try (InputStream in = open(uri)) {
            m = ConfigLoader.jsonMapper().readValue(in, Manifest.class);
        } catch (JsonProcessingException e) { // untrusted input that is not a manifest: corrupt, not unreachable
            throw CorruptCheckpointException.badManifest(stepUri(step), "does not parse: " + e.getOriginalMessage()
                    + (e instanceof JsonMappingException j ? " (at " + j.getPathReference() + ")" : ""));
        } catch (IOException e) {
            throw CheckpointException.io("read manifest", uri, e);
        }
        check(m, step);
        return m;
    }

    /**
     * Checks the manifest and that every file it lists is there with its recorded size: one listing of the step
     * directory, no file read. What the driver does before resuming; the ranks verify the checksums of what they read.
     */
    public void checkIntact(Manifest manifest) {
        check(manifest, manifest.step());
        String stepUri = stepUri(manifest.step());
        Map<String, Long> sizes = new HashMap<>();
        try {
            Path dir = new Path(stepUri);
            for (FileStatus st : dir.getFileSystem(conf).listStatus(dir)) {
                if (st.isFile()) sizes.put(st.getPath().getName(), st.getLen());
            }
        } catch (IOException e) {
            throw CheckpointException.io("list", stepUri, e);
        }
        for (var e : manifest.files().entrySet()) {
            // Keys with a '/' name files in subdirectories, which the listing above does not show: stat those.
            Long size = e.getKey().contains("/") ? statSize(stepUri + "/" + e.getKey()) : sizes.get(e.getKey());
            if (size == null) throw CorruptCheckpointException.missingFile(stepUri, e.getKey());
            if (size != e.getValue().bytes()) {
                throw CorruptCheckpointException.sizeMismatch(stepUri, e.getKey(), e.getValue().bytes(), size);
            }
        }
    }

    private Long statSize(String uri) {
        try {
            Path p = new Path(uri);
            FileSystem fs = p.getFileSystem(conf);
            return fs.exists(p) ? fs.getFileStatus(p).getLen() : null;
        } catch (IOException e) {
            throw CheckpointException.io("stat", uri, e);
        }
    }

    /**
     * Checks the manifest, then reads every file whole against its checksums ({@code checkpoint inspect}); training
     * never needs this, as every rank verifies what it reads.
     */
    public void verify(Manifest manifest) {
        check(manifest, manifest.step());
        for (String name : manifest.files().keySet()) {
            try (CheckpointFile f = openVerified(manifest, name)) {
                f.verifyAll();
            }
        }
    }

    /** The newest intact step of any run. */
    public Optional<Manifest> latestValid() {
        return latestValid(m -> true);
    }

    /**
     * The newest complete step that {@code accept} takes and whose files are all there with their recorded sizes
     * ({@link #checkIntact}: nothing is hashed here). A step with a missing or truncated file, or a bad manifest, is
     * logged with what failed and the previous one is tried, so a torn save costs one checkpoint interval, not the
     * run. A shard whose bytes changed but not its size is caught by the rank that reads it.
     */
    public Optional<Manifest> latestValid(Predicate<Manifest> accept) {
        List<Long> steps = completeSteps();
        for (int i = steps.size() - 1; i >= 0; i--) {
            try {
                Manifest m = manifest(steps.get(i));
                if (!accept.test(m)) {
                    LOG.info("checkpoint step {} (run {}) is not one to resume from here; skipped", steps.get(i), m.runId());
                    continue;
                }
                checkIntact(m);
                return Optional.of(m);
            } catch (CheckpointException e) { // a checksum mismatch, or a manifest or shard that can't be read
                LOG.warn("checkpoint step {} is unusable ({}); falling back to the previous one", steps.get(i), e.getMessage());
            }
        }
        return Optional.empty();
    }

    /**
     * Where a restart of run {@code runId} resumes: its newest intact step (or {@code resumedFrom}, the step the
     * run itself started from, which may predate run ids). Every step directory above it is deleted first: a
     * task of the failed attempt that was still running may have left it, complete or not.
     */
    public Optional<Manifest> restartPoint(String runId, long resumedFrom) {
        Optional<Manifest> from = latestValid(m -> m.writtenBy(runId) || m.step() == resumedFrom);
        deleteStepsAbove(from.map(Manifest::step).orElse(-1L));
        return from;
    }

    /** The step {@code latest} names, if it is there and well formed. */
    public OptionalLong latest() {
        String uri = root + "/" + LATEST;
        String text;
        try {
            Path p = new Path(uri);
            FileSystem fs = p.getFileSystem(conf);
            if (!fs.exists(p)) return OptionalLong.empty();
            try (InputStream in = fs.open(p)) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
        } catch (IOException e) {
            throw CheckpointException.io("read", uri, e);
        }
        OptionalLong step = parseStep(text);
        if (step.isEmpty()) LOG.warn("{} holds '{}', not a step directory name; ignored", uri, text);
        return step;
    }

    public InputStream open(long step, String name) {
        String uri = stepUri(step) + "/" + name;
        try {
            return open(uri);
        } catch (IOException e) {
            throw CheckpointException.io("open", uri, e);
        }
    }

    /**
     * Reads a file kept in the root beside the steps (the tokenizer files train copies there); empty when the root
     * has no such file.
     */
    public Optional<byte[]> readRootFile(String name) {
        String uri = root + "/" + name;
        try {
            Path p = new Path(uri);
            FileSystem fs = p.getFileSystem(conf);
            if (!fs.isFile(p)) return Optional.empty();
            try (InputStream in = fs.open(p)) {
                return Optional.of(in.readAllBytes());
            }
        } catch (IOException e) {
            throw CheckpointException.io("read", uri, e);
        }
    }

    /** Writes a file kept in the root beside the steps: aside, then renamed into place, so no reader sees it torn. */
    public void writeRootFile(String name, byte[] bytes) {
        String uri = root + "/" + name;
        try {
            Path tmp = new Path(uri + ".tmp");
            writeBytes(tmp.toString(), bytes);
            replace(tmp, new Path(uri));
        } catch (IOException e) {
            throw CheckpointException.io("write", uri, e);
        }
    }

    /**
     * Deletes every step directory above {@code step}, complete or not: what a task of a failed attempt that was
     * still running left behind. A restart does this before it resumes at {@code step}.
     */
    private void deleteStepsAbove(long step) {
        for (long s : steps(false)) {
            if (s > step) deleteStep(s, "above the resume step " + step);
        }
    }

    /** Deletes the whole checkpoint root ({@code train --overwrite}). */
    public void clear() {
        try {
            Path p = new Path(root);
            FileSystem fs = p.getFileSystem(conf);
            if (fs.exists(p) && !fs.delete(p, true)) throw new IOException("delete returned false");
            LOG.info("cleared checkpoint root {}", root);
        } catch (IOException e) {
            throw CheckpointException.io("delete", root, e);
        }
    }

    /**
     * Keeps the newest {@code keepLast} verified steps of {@code runId}, the step resumed from and anything above
     * the committed step (only a failed attempt's task writes there, and restarts delete those); deletes the rest:
     * older steps, incomplete ones, corrupt ones and other runs'. Returns the newest kept verified step, or -1.
     */
    private long retain(String runId, Retention retention, long committed) {
        List<Long> all = steps(false);
        Set<Long> keep = new HashSet<>();
        long newestVerified = -1;
        int kept = 0;
        for (int i = all.size() - 1; i >= 0; i--) {
            long step = all.get(i);
            if (step > committed || step == retention.resumedFrom()) keep.add(step);
            if (step <= committed && kept < retention.keepLast() && verifiedStepOf(runId, step)) {
                keep.add(step);
                kept++;
                if (newestVerified < 0) newestVerified = step;
            }
        }
        for (long step : all) {
            if (!keep.contains(step)) deleteStep(step, "retention (keep_last=" + retention.keepLast() + ")");
        }
        return newestVerified;
    }

    private boolean verifiedStepOf(String runId, long step) {
        try {
            Manifest m = manifest(step);
            if (!m.writtenBy(runId)) return false;
            if (!verified.contains(step)) {
                checkIntact(m);
                verified.add(step);
            }
            return true;
        } catch (CheckpointException e) {
            LOG.warn("retention: checkpoint step {} is not a verified step ({}); not kept", step, e.getMessage());
            return false;
        }
    }

    private void deleteStep(long step, String why) {
        String uri = stepUri(step);
        try {
            Path p = new Path(uri);
            p.getFileSystem(conf).delete(p, true);
            verified.remove(step);
            LOG.info("deleted {}: {}", uri, why);
        } catch (IOException e) {
            throw CheckpointException.io("delete", uri, e);
        }
    }

    /** Step numbers of the step directories under the root, oldest first; with {@code completeOnly}, those with a manifest. */
    private List<Long> steps(boolean completeOnly) {
        return StepDirs.list(root, conf, completeOnly);
    }

    /** The step of a directory name {@code step-<N>}; empty when it isn't one or N overflows a long. */
    public static OptionalLong parseStep(String dirName) {
        return StepDirs.parse(dirName);
    }

    private void check(Manifest m, long step) {
        ManifestChecks.check(m, step, stepUri(step));
    }

    /** Writes {@code latest} aside and renames it into place, so no reader ever sees a torn pointer. */
    private void writeLatest(long step) {
        String uri = root + "/" + LATEST;
        try {
            Path tmp = new Path(uri + ".tmp");
            writeBytes(tmp.toString(), ("step-" + step + "\n").getBytes(StandardCharsets.UTF_8));
            replace(tmp, new Path(uri));
        } catch (IOException e) {
            throw CheckpointException.io("write", uri, e);
        }
    }

    /**
     * Renames {@code tmp} onto {@code dst}. s3a:// and hdfs:// refuse to rename onto an existing file (a step
     * re-committed after a restart, a moved {@code latest}), so an existing {@code dst} is deleted first; readers
     * that look in between find it absent, never torn.
     */
    private void replace(Path tmp, Path dst) throws IOException {
        FileSystem fs = dst.getFileSystem(conf);
        fs.delete(dst, false);
        if (!fs.rename(tmp, dst)) {
            throw new IOException("rename of " + tmp + " to " + dst + " failed");
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

    /** Writes one checkpoint file's bytes. */
    @FunctionalInterface
    public interface Writer {
        void writeTo(ChunkedOutputStream out) throws IOException;
    }
}
