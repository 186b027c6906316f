package dev.zerospark.checkpoint;

import dev.zerospark.checkpoint.internal.ChunkMap;
import dev.zerospark.tokenizer.TokenizerProvenance;
import dev.zerospark.training.data.DataCursor;
import org.apache.hadoop.fs.Path;

import java.net.URI;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Objects;

/** The checks a manifest passes before anything it names is trusted; each failure names the step and the key. */
final class ManifestChecks {
    private ManifestChecks() {}

    /**
     * Checks one manifest, untrusted input: every file key inside the step directory, every entry with a checksum and
     * size, chunk checksum lists that tile their file (and, for chunk sha256s, hash to the entry's sha256), the step it records, a layout whose
     * parameters fit its flat buffer without overlapping, and a data cursor naming its table and position.
     */
    static void check(Manifest m, long step, String stepUri) {
        if (m.step() != step) throw CorruptCheckpointException.stepMismatch(stepUri, m.step());
        if (m.files().isEmpty()) throw CorruptCheckpointException.noFiles(stepUri);
        for (var e : m.files().entrySet()) {
            if (!insideStep(stepUri, e.getKey())) throw CorruptCheckpointException.unsafeKey(stepUri, e.getKey());
            if (e.getValue().sha256() == null || e.getValue().bytes() < 0) {
                throw CorruptCheckpointException.badEntry(stepUri, e.getKey());
            }
            if (e.getValue().chunked()) chunkMap(stepUri, e.getKey(), e.getValue());
        }
        checkLayout(m.layout(), stepUri);
        checkData(m.data(), stepUri);
        if (m.optimizerSteps() != null && (m.optimizerSteps() < 0 || m.optimizerSteps() > m.step())) {
            throw CorruptCheckpointException.badManifest(stepUri, "records optimizer_steps " + m.optimizerSteps()
                    + ", not between 0 and its step " + m.step());
        }
    }

    private static void checkLayout(Layout layout, String stepUri) {
        if (layout == null) throw CorruptCheckpointException.badManifest(stepUri, "has no layout");
        if (layout.params() == null || layout.params().isEmpty()) throw CorruptCheckpointException.badManifest(stepUri, "has a layout without params");
        if (layout.numel() < 0 || layout.paddedNumel() < layout.numel()) {
            throw CorruptCheckpointException.badManifest(stepUri, "has a layout of numel " + layout.numel() + " and padded_numel " + layout.paddedNumel());
        }
        Set<String> names = new HashSet<>();
        for (Layout.Param p : layout.params()) {
            if (p.name() == null || p.shape() == null) throw CorruptCheckpointException.badManifest(stepUri, "has a layout param without a name or shape");
            if (!names.add(p.name())) throw CorruptCheckpointException.badParam(stepUri, p.name(), "is listed twice");
            long count = 1;
            for (long d : p.shape()) count = d < 0 ? -1 : count * d;
            if (p.offset() < 0 || p.numel() != count || p.offset() + p.numel() > layout.numel()) {
                throw CorruptCheckpointException.badParam(stepUri, p.name(), "has offset " + p.offset() + ", numel " + p.numel()
                        + " and shape " + java.util.Arrays.toString(p.shape()) + ", which do not fit the flat buffer of " + layout.numel());
            }
        }
        List<Layout.Param> byOffset = new ArrayList<>(layout.params());
        byOffset.sort(Comparator.comparingLong(Layout.Param::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            Layout.Param prev = byOffset.get(i - 1);
            if (byOffset.get(i).offset() < prev.offset() + prev.numel()) {
                throw CorruptCheckpointException.badParam(stepUri, byOffset.get(i).name(), "overlaps " + prev.name() + " in the flat buffer");
            }
        }
    }

    private static void checkData(DataCursor data, String stepUri) {
        if (data == null) throw CorruptCheckpointException.badManifest(stepUri, "has no data cursor");
        if (data.table() == null) throw CorruptCheckpointException.badManifest(stepUri, "has a data cursor without a table");
        if (data.version() < 0 || data.epoch() < 0 || data.sampleInEpoch() < 0) {
            throw CorruptCheckpointException.badManifest(stepUri, "has a data cursor with a negative version, epoch or position: " + data);
        }
        if (data.tokenizer() != null) {
            try {
                new TokenizerProvenance(data.tokenizer().sha256(), data.tokenizer().uri());
            } catch (IllegalArgumentException e) {
                throw CorruptCheckpointException.badManifest(stepUri, "records a bad tokenizer: " + e.getMessage());
            }
        }
    }

    /**
     * Where each parameter of {@code model} (the layout of the model being resumed, in its own flat coordinates) lies
     * in the checkpoint's recorded layout, in the model's parameter order: the recorded parameter of the same name,
     * which must have the same shape.
     * Any parameter missing on either side, or of another shape, means the checkpoint is of another model.
     */
    static List<Layout.Param> match(Layout recorded, Layout model, String stepUri) {
        Map<String, Layout.Param> byName = new HashMap<>();
        for (Layout.Param p : recorded.params()) byName.put(p.name(), p);
        List<Layout.Param> matched = new ArrayList<>();
        for (Layout.Param p : model.params()) {
            Layout.Param r = byName.remove(p.name());
            if (r == null) throw LayoutMismatchException.missing(stepUri, p.name());
            if (!java.util.Arrays.equals(r.shape(), p.shape())) throw LayoutMismatchException.shape(stepUri, p.name(), r.shape(), p.shape());
            matched.add(r);
        }
        if (!byName.isEmpty()) throw LayoutMismatchException.extra(stepUri, byName.keySet());
        return matched;
    }

    /**
     * The chunk map of a chunked entry (null for a whole-file one), checked: one list of chunk checksums (CRC32Cs of 8
     * hex digits, or, in older manifests, sha256s that the entry's sha256 must be the digest of), whose chunks tile
     * the file as the writer cuts them.
     */
    static ChunkMap chunkMap(String stepUri, String key, Manifest.FileEntry e) {
        if (!e.chunked()) return null;
        if (e.chunks() != null && e.chunkCrc32c() != null) {
            throw CorruptCheckpointException.badChunks(stepUri, key, "has both chunk_crc32c and chunks (sha256): which one to verify is ambiguous");
        }
        List<String> sums = ChunkChecksum.of(e).expected(e);
        if (e.chunkBytes() == null || sums.stream().anyMatch(Objects::isNull)) {
            throw CorruptCheckpointException.badChunks(stepUri, key, "has chunks without a chunk size or checksum");
        }
        ChunkMap map = ChunkMap.of(e.bytes(), e.chunkBytes(), e.cuts() == null ? List.of() : e.cuts(), sums.size());
        if (map == null) throw CorruptCheckpointException.badChunks(stepUri, key, "lists chunks that do not tile its " + e.bytes() + " bytes");
        if (e.chunkCrc32c() != null) {
            for (String crc : sums) {
                if (!CRC32C_HEX.matcher(crc).matches()) {
                    throw CorruptCheckpointException.badChunks(stepUri, key, "has a chunk_crc32c '" + crc + "' that is not 8 lowercase hex digits");
                }
            }
            return map;
        }
        MessageDigest root = Hashing.digest();
        try {
            for (String c : sums) root.update(HexFormat.of().parseHex(c));
        } catch (IllegalArgumentException bad) {
            throw CorruptCheckpointException.badChunks(stepUri, key, "has a chunk digest that is not hex");
        }
        if (!HexFormat.of().formatHex(root.digest()).equals(e.sha256())) {
            throw CorruptCheckpointException.badChunks(stepUri, key, "has a sha256 that is not the digest of its chunk digests");
        }
        return map;
    }

    private static final java.util.regex.Pattern CRC32C_HEX = java.util.regex.Pattern.compile("[0-9a-f]{8}");

    /** Whether a manifest key names a file inside its step directory (and nothing a resolver could move out). */
    private static boolean insideStep(String stepUri, String key) {
        if (key.isEmpty() || key.startsWith("/") || key.contains("..") || key.contains("\\")) return false;
        URI step = new Path(stepUri).toUri();
        URI resolved;
        try {
            resolved = new Path(new Path(stepUri), key).toUri();
        } catch (IllegalArgumentException e) { // not a relative path at all (e.g. a bare scheme)
            return false;
        }
        return Objects.equals(step.getScheme(), resolved.getScheme())
                && Objects.equals(step.getAuthority(), resolved.getAuthority())
                && resolved.getPath().startsWith(step.getPath() + "/");
    }
}
