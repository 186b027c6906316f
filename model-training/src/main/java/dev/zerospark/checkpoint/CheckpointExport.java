package dev.zerospark.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.model.HfCheckpointWriter;
import dev.zerospark.model.HfConfigs;
import dev.zerospark.model.ModelConfig;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.zerospark.model.MissingTensorException;
import dev.zerospark.model.ModelLoader;
import dev.zerospark.model.TensorSpec;
import dev.zerospark.safetensors.DType;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a sharded checkpoint into an HF model directory: each weight is rebuilt from the ranks' fp32 master shards
 * by the manifest's layout (verified as read) and written with the model's config.json and tokenizer files as {@code transformers} expects. The tokenizer files are
 * the ones given, else those train kept in the checkpoint root (see {@link CheckpointTokenizer}).
 */
public final class CheckpointExport {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointExport.class);
    private static final Pattern STEP_URI = Pattern.compile("^(.*)/(step-\\d+)/?$");
    private static final String GENERATION_CONFIG = "generation_config.json";
    private static final ObjectMapper JSON = new ObjectMapper();

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
            store.checkIntact(manifest); // the checksums are verified as export reads the shards

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
     * The export streams straight to the checkpoint's store; the marker file goes last, and a directory without it (an
     * export killed halfway) is replaced.
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
        fs.delete(dst, true); // an export killed before its marker
        export(target, uri, conf, Options.defaults(null));
        fs.create(new org.apache.hadoop.fs.Path(dst, COMPLETE_MARKER), true).close();
        LOG.info("exported checkpoint step {} to {}", target.manifest().step(), uri);
        return uri;
    }

    /**
     * How to export.
     *
     * @param dtype F32, BF16 or F16 on disk; null for the base model's {@code torch_dtype} (F32 when it records none)
     * @param maxShardBytes the largest weights file; more weights go into numbered shards with an index (as HF does)
     * @param tokenizerFrom a local tokenizer directory to copy, or null for the checkpoint root's tokenizer (if any)
     */
    public record Options(DType dtype, long maxShardBytes, java.nio.file.Path tokenizerFrom) {
        public Options {
            if (dtype != null && dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) {
                throw new IllegalArgumentException("export dtype must be F32, BF16 or F16, got " + dtype);
            }
            if (maxShardBytes <= 0) throw new IllegalArgumentException("max shard size must be > 0 bytes, got " + maxShardBytes);
        }

        /** fp32 (what generate and the pipeline load back), HF's 5GB shards. */
        public static Options defaults(java.nio.file.Path tokenizerFrom) {
            return new Options(DType.F32, HfCheckpointWriter.DEFAULT_MAX_SHARD_BYTES, tokenizerFrom);
        }
    }

    /**
     * Writes the HF directory (fp32, 5GB shards) and returns the number of tensors written.
     *
     * @param tokenizerFrom a tokenizer directory to copy, or null for the checkpoint root's tokenizer (when it has one)
     */
    public static int export(Target target, java.nio.file.Path out, java.nio.file.Path tokenizerFrom) throws IOException {
        return export(target, out.toAbsolutePath().toUri().toString(), new Configuration(), Options.defaults(tokenizerFrom));
    }

    /**
     * Writes an HF model directory under {@code outUri} on any Hadoop filesystem, one tensor at a time: each weight is
     * rebuilt from the master shards (verified as read) a bounded range at a time, converted and written before the
     * next is read, so memory depends on neither the model's size nor its largest tensor's. Returns the number of
     * tensors written.
     */
    public static int export(Target target, String outUri, Configuration conf, Options options) throws IOException {
        Manifest manifest = target.manifest();
        CheckpointStore store = target.store();
        String configJson = RankCheckpoint.modelConfig(store, manifest);
        ObjectNode raw = (ObjectNode) JSON.readTree(configJson);
        ModelConfig config = HfConfigs.parse(raw);
        DType dtype = options.dtype() != null ? options.dtype() : modelDtype(raw);
        List<TensorSpec> specs = ModelLoader.specs(config);
        Map<String, Layout.Param> recorded = new HashMap<>();
        for (Layout.Param p : manifest.layout().params()) recorded.put(p.name(), p);
        Map<String, Long> offsets = new HashMap<>(); // where each tensor starts in the flat master weights
        for (TensorSpec spec : specs) {
            Layout.Param p = recorded.get(spec.name());
            if (p == null || p.numel() != spec.numel()) {
                throw new MissingTensorException(spec.name(), spec.shape(), store.stepUri(manifest.step()) + "'s layout");
            }
            offsets.put(spec.name(), p.offset());
        }
        try (OptimizerShards shards = OptimizerShards.open(store, manifest)) {
            MasterWeights master = MasterWeights.of(shards, manifest);
            HfWeightsStream.write(outUri, conf, specs, dtype, options.maxShardBytes(),
                    (spec, from, dst, n) -> master.read(offsets.get(spec.name()) + from, dst, n));
        }
        write(outUri, "config.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(
                HfCheckpointWriter.configJson(config, dtype)), conf);
        java.nio.file.Path from = options.tokenizerFrom();
        if (from != null && Files.isRegularFile(from.resolve(GENERATION_CONFIG))) {
            write(outUri, GENERATION_CONFIG, Files.readAllBytes(from.resolve(GENERATION_CONFIG)), conf);
        } else {
            write(outUri, GENERATION_CONFIG, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(
                    HfCheckpointWriter.generationConfig(config)), conf);
        }
        if (from == null) {
            CheckpointTokenizer.exportTo(store, manifest, outUri, conf);
        } else {
            for (String f : HfCheckpointWriter.TOKENIZER_FILES) {
                if (Files.isRegularFile(from.resolve(f))) write(outUri, f, Files.readAllBytes(from.resolve(f)), conf);
            }
        }
        return specs.size();
    }

    /** The dtype the base model records ({@code torch_dtype}, or {@code dtype} in transformers 5); F32 when none. */
    static DType modelDtype(ObjectNode config) {
        String name = config.path("torch_dtype").asText(config.path("dtype").asText("float32"));
        return switch (name) {
            case "bfloat16" -> DType.BF16;
            case "float16" -> DType.F16;
            default -> DType.F32;
        };
    }

    /** {@code --dtype}: bf16, fp16 or fp32. */
    public static DType parseDtype(String text) {
        return switch (text.toLowerCase(java.util.Locale.ROOT)) {
            case "bf16", "bfloat16" -> DType.BF16;
            case "fp16", "f16", "float16" -> DType.F16;
            case "fp32", "f32", "float32" -> DType.F32;
            default -> throw new IllegalArgumentException("unknown dtype '" + text + "': use bf16, fp16 or fp32");
        };
    }

    /** {@code --max-shard-size}: bytes, or a number with KB, MB or GB (decimal, as HF counts). */
    public static long parseSize(String text) {
        java.util.regex.Matcher m = Pattern.compile("(\\d+)\\s*(B|KB|MB|GB)?", Pattern.CASE_INSENSITIVE).matcher(text.trim());
        if (!m.matches()) throw new IllegalArgumentException("'" + text + "' is not a size: use e.g. 5GB, 500MB or a byte count");
        long unit = m.group(2) == null ? 1 : switch (m.group(2).toUpperCase(java.util.Locale.ROOT)) {
            case "KB" -> 1_000L;
            case "MB" -> 1_000_000L;
            case "GB" -> 1_000_000_000L;
            default -> 1L;
        };
        long size;
        try {
            size = Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is too large a size");
        }
        if (size <= 0) throw new IllegalArgumentException("'" + text + "' is not a positive size");
        return size;
    }

    private static void write(String dirUri, String name, byte[] bytes, Configuration conf) throws IOException {
        Path p = new Path(dirUri, name);
        try (FSDataOutputStream out = p.getFileSystem(conf).create(p, true)) {
            out.write(bytes);
        }
    }
}
