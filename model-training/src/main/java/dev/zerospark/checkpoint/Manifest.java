package dev.zerospark.checkpoint;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/**
 * What a checkpoint step holds, written last so that its presence marks the step complete. Read back, it is
 * untrusted input: {@link CheckpointStore#manifest(long)} checks it before anything uses its file names or sizes.
 *
 * @param runId the run that wrote the step; a restart resumes only from its own run's steps (null in manifests
 *              written before run ids existed, which then belong to no run)
 * @param files every file of the step (relative name → sha256 and size)
 * @param layout the ZeRO partition layout the shards were cut with (needed to reshard on resume and to rebuild the
 *               weights from the master shards); read it typed with {@link Layout#of}
 * @param config the resolved training config
 * @param data the data table, its pinned Delta version and the cursor (epoch, position); an object of named fields,
 *             so a new record (a data position) is one more field here
 * @param rng RNG state needed for an exact resume
 */
public record Manifest(long step, String runId, int worldSize, int zeroStage, Map<String, FileEntry> files,
                       JsonNode layout, JsonNode config, JsonNode data, JsonNode rng) {
    /**
     * One file of the step. Files written since chunked checksums exist record a sha256 per chunk, so a reader
     * verifies exactly the byte ranges it reads: the file is cut into chunks of {@code chunkBytes}, restarting at
     * each position in {@code cuts} (the writer cuts at tensor boundaries, so a header or a tensor's first bytes never
     * share a chunk with what precedes them). {@code sha256} is then the sha256 of the concatenated chunk digests.
     * Older entries have no chunks, and {@code sha256} is the whole file's.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FileEntry(String sha256, long bytes, Integer chunkBytes, List<Long> cuts, List<String> chunks) {
        /** A whole-file checksum (what manifests held before chunked checksums). */
        public FileEntry(String sha256, long bytes) {
            this(sha256, bytes, null, null, null);
        }

        public FileEntry {
            cuts = cuts == null ? null : List.copyOf(cuts);
            chunks = chunks == null ? null : List.copyOf(chunks);
        }

        /** Whether this entry records per-chunk checksums. */
        public boolean chunked() {
            return chunks != null;
        }
    }

    public Manifest {
        if (step < 0) throw new IllegalArgumentException("manifest step must be >= 0, got " + step);
        if (worldSize < 1) throw new IllegalArgumentException("manifest world_size must be >= 1, got " + worldSize);
        // A missing "files" key reads as an empty map, so validation reports "lists no files" instead of an NPE.
        files = files == null ? Map.of() : Map.copyOf(files);
    }

    /** Whether run {@code id} wrote this step. */
    public boolean writtenBy(String id) {
        return runId != null && runId.equals(id);
    }
}
