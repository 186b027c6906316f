package dev.zerospark.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.checkpoint.CheckpointException;
import dev.zerospark.checkpoint.CheckpointStore;
import dev.zerospark.checkpoint.Manifest;
import dev.zerospark.model.HfCheckpointWriter;
import dev.zerospark.model.HfConfigs;
import dev.zerospark.model.ModelConfig;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a sharded checkpoint into an HF model directory: the ranks' model shards are merged by tensor name and
 * written with the model's config.json and tokenizer files as {@code transformers} expects. The tokenizer files are
 * the ones given, else those train kept in the checkpoint root (see {@link CheckpointTokenizer}).
 */
public final class CheckpointExport {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointExport.class);
    private static final Pattern STEP_URI = Pattern.compile("^(.*)/(step-\\d+)/?$");

    private CheckpointExport() {}

    /** A checkpoint root (newest intact step) or one step directory ({@code <root>/step-N}). */
    public record Target(CheckpointStore store, Manifest manifest) {}

    public static Target resolve(String uri, Configuration conf) {
        Matcher m = STEP_URI.matcher(uri);
        if (m.matches()) {
            CheckpointStore store = new CheckpointStore(m.group(1), conf);
            long step = CheckpointStore.parseStep(m.group(2)).orElseThrow(
                    () -> new CheckpointException("not a checkpoint step directory (its number does not parse): " + uri));
            Manifest manifest = store.manifest(step);
            store.verify(manifest);
            return new Target(store, manifest);
        }
        CheckpointStore store = new CheckpointStore(uri, conf);
        Manifest manifest = store.latestValid().orElseThrow(() -> new CheckpointException("no complete checkpoint under " + uri));
        return new Target(store, manifest);
    }

    /** Under a checkpoint root: the HF exports {@link #exportShared} keeps. */
    public static final String EXPORT_DIR = "export";
    /** Written last into a shared export: without it the directory is a killed export's remains. */
    public static final String COMPLETE_MARKER = "_EXPORTED";

    /**
     * Where {@link #exportShared} keeps {@code target}'s HF directory: {@code <root>/export/step-<N>-<hash>}, the hash
     * over the manifest's files, since a restarted run may commit a different {@code step-<N>}.
     */
    public static String sharedUri(Target target) {
        Manifest m = target.manifest();
        StringBuilder files = new StringBuilder(m.runId() + "\n");
        new TreeMap<>(m.files()).forEach((name, f) -> files.append(name).append(' ').append(f.sha256()).append('\n'));
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(files.toString().getBytes(StandardCharsets.UTF_8));
            return target.store().root() + "/" + EXPORT_DIR + "/step-" + m.step() + "-" + HexFormat.of().formatHex(h, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /**
     * {@code target} as an HF directory next to its checkpoint ({@link #sharedUri}), on the checkpoint's filesystem, so
     * executors that do not share the driver's disk read it like any model URI; exported on first use and reused after.
     * The export is written into a local temporary directory, deleted once uploaded; the marker file goes last, and a
     * directory without it (an export killed halfway) is replaced.
     *
     * @return the export's URI
     */
    public static String exportShared(Target target, Configuration conf) throws IOException {
        String uri = sharedUri(target);
        org.apache.hadoop.fs.Path dst = new org.apache.hadoop.fs.Path(uri);
        FileSystem fs = dst.getFileSystem(conf);
        if (fs.exists(new org.apache.hadoop.fs.Path(dst, COMPLETE_MARKER))) {
            LOG.info("reusing the HF export {} of checkpoint step {}", uri, target.manifest().step());
            return uri;
        }
        Path local = Files.createTempDirectory("zs-export-");
        FileSystem localFs = FileSystem.getLocal(conf);
        try {
            export(target, local, null);
            fs.delete(dst, true);
            fs.mkdirs(dst);
            try (Stream<Path> files = Files.list(local)) {
                for (Path f : files.toList()) {
                    fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(f.toUri()), new org.apache.hadoop.fs.Path(dst, f.getFileName().toString()));
                }
            }
            fs.create(new org.apache.hadoop.fs.Path(dst, COMPLETE_MARKER), true).close();
        } finally {
            localFs.delete(new org.apache.hadoop.fs.Path(local.toUri()), true);
        }
        LOG.info("exported checkpoint step {} to {}", target.manifest().step(), uri);
        return uri;
    }

    /**
     * Writes the HF directory and returns the number of tensors written.
     *
     * @param tokenizerFrom a tokenizer directory to copy, or null for the checkpoint root's tokenizer (when it has one)
     */
    public static int export(Target target, Path out, Path tokenizerFrom) throws IOException {
        Manifest manifest = target.manifest();
        String configJson = RankCheckpoint.modelConfig(target.store(), manifest.step());
        ModelConfig config = HfConfigs.parse((ObjectNode) new ObjectMapper().readTree(configJson));
        Map<String, float[]> weights = RankCheckpoint.loadWeights(target.store(), manifest);
        HfCheckpointWriter.save(config, weights, out, HfCheckpointWriter.Options.defaults(tokenizerFrom));
        if (tokenizerFrom == null) CheckpointTokenizer.exportTo(target.store(), manifest, out);
        return weights.size();
    }
}
