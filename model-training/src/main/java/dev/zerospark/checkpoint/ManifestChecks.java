package dev.zerospark.checkpoint;

import dev.zerospark.checkpoint.internal.ChunkMap;
import org.apache.hadoop.fs.Path;

import java.net.URI;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/** The checks a manifest passes before anything it names is trusted; each failure names the step and the key. */
final class ManifestChecks {
    private ManifestChecks() {}

    /**
     * Checks one manifest, untrusted input: every file key inside the step directory, every entry with a checksum and
     * size, chunk lists that tile their file and hash to the entry's sha256, and the step it records.
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
    }

    /**
     * The chunk map of a chunked entry (null for a whole-file one), checked: the chunks must tile the file as the
     * writer cuts them, and the entry's sha256 must be the digest of its chunk digests.
     */
    static ChunkMap chunkMap(String stepUri, String key, Manifest.FileEntry e) {
        if (!e.chunked()) return null;
        if (e.chunkBytes() == null || e.chunks().stream().anyMatch(Objects::isNull)) {
            throw CorruptCheckpointException.badChunks(stepUri, key, "has chunks without a chunk size or digest");
        }
        ChunkMap map = ChunkMap.of(e.bytes(), e.chunkBytes(), e.cuts() == null ? List.of() : e.cuts(), e.chunks().size());
        if (map == null) throw CorruptCheckpointException.badChunks(stepUri, key, "lists chunks that do not tile its " + e.bytes() + " bytes");
        MessageDigest root = CheckpointStore.sha256();
        try {
            for (String c : e.chunks()) root.update(HexFormat.of().parseHex(c));
        } catch (IllegalArgumentException bad) {
            throw CorruptCheckpointException.badChunks(stepUri, key, "has a chunk digest that is not hex");
        }
        if (!HexFormat.of().formatHex(root.digest()).equals(e.sha256())) {
            throw CorruptCheckpointException.badChunks(stepUri, key, "has a sha256 that is not the digest of its chunk digests");
        }
        return map;
    }

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
