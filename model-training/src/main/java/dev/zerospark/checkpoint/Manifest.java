package dev.zerospark.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Map;

/**
 * What a checkpoint step holds, written last so that its presence marks the step complete. Read back, it is
 * untrusted input: {@link CheckpointStore#manifest(long)} checks it before anything uses its file names or sizes.
 *
 * @param runId the run that wrote the step; a restart resumes only from its own run's steps (null in manifests
 *              written before run ids existed, which then belong to no run)
 * @param files every file of the step (relative name → sha256 and size)
 * @param layout the ZeRO partition layout the shards were cut with (needed to reshard on resume)
 * @param config the resolved training config
 * @param data the data table, its pinned Delta version and the cursor (epoch, position)
 * @param rng RNG state needed for an exact resume
 */
public record Manifest(long step, String runId, int worldSize, int zeroStage, Map<String, FileEntry> files,
                       JsonNode layout, JsonNode config, JsonNode data, JsonNode rng) {
    public record FileEntry(String sha256, long bytes) {}

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
