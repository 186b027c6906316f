package dev.zerospark.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Map;

/**
 * What a checkpoint step holds, written last so that its presence marks the step complete.
 *
 * @param files every file of the step (relative name → sha256 and size)
 * @param layout the ZeRO partition layout the shards were cut with (needed to reshard on resume)
 * @param config the resolved training config
 * @param data the data table, its pinned Delta version and the cursor (epoch, position)
 * @param rng RNG state needed for an exact resume
 */
public record Manifest(long step, int worldSize, int zeroStage, Map<String, FileEntry> files,
                       JsonNode layout, JsonNode config, JsonNode data, JsonNode rng) {
    public record FileEntry(String sha256, long bytes) {}

    public Manifest {
        if (step < 0) throw new IllegalArgumentException("manifest step must be >= 0, got " + step);
        if (worldSize < 1) throw new IllegalArgumentException("manifest world_size must be >= 1, got " + worldSize);
        files = Map.copyOf(files);
    }
}
