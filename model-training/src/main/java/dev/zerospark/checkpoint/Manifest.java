package dev.zerospark.checkpoint;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zerospark.training.data.DataCursor;
import dev.zerospark.zero.DynamicLossScaler;

import java.util.List;
import java.util.Map;

/**
 * What a checkpoint step holds, written last so that its presence marks the step complete. Read back, it is
 * untrusted input: {@link CheckpointStore#manifest(long)} checks it before anything uses its file names or sizes.
 *
 * @param runId the run that wrote the step; a restart resumes only from its own run's steps (null in manifests
 *              written before run ids existed, which then belong to no run)
 * @param files every file of the step (relative name → sha256 and size)
 * <p>Every record here is bound by Jackson in the JSON shape manifests have had since they were first written
 * (snake_case keys; the data cursor's sample offset is {@code position}), so older steps still resume; what a read
 * manifest must satisfy is checked in one place, {@link ManifestChecks}.
 *
 * @param layout the ZeRO partition layout the shards were cut with: a resume maps every parameter from where it put
 *               it, and export rebuilds the weights from the master shards by it
 * @param config the resolved training config, as its own loader reads it (kept as the document it was, so a key
 *               added to the config later needs no change here)
 * @param data the data table, its pinned Delta version and the cursor (epoch, sample in epoch)
 * @param rng RNG state needed for an exact resume (null in manifests that record none)
 * @param optimizerSteps the optimizer steps applied up to {@code step}: fewer than {@code step} when fp16 skipped
 *                       overflowing steps; AdamW's bias correction and the lr schedule count these (null in manifests
 *                       written before it was recorded, whose runs skipped none they knew of: then {@code step})
 * @param lossScaler the fp16 loss scaler's state after {@code step}, the same on every rank (the overflow flag is
 *                   all-reduced); null for runs that scale no loss (fp32, bf16) and in older manifests
 */
public record Manifest(long step, String runId, int worldSize, int zeroStage, Map<String, FileEntry> files,
                       Layout layout, JsonNode config, DataCursor data, Rng rng,
                       @JsonInclude(JsonInclude.Include.NON_NULL) Long optimizerSteps,
                       @JsonInclude(JsonInclude.Include.NON_NULL) DynamicLossScaler.State lossScaler) {
    /** The seed of the run and how the sample order derives from it (for people reading the manifest). */
    public record Rng(long seed, String shuffle) {}

    /**
     * One file of the step. The file is cut into chunks of {@code chunkBytes}, restarting at each position in
     * {@code cuts} (the writer cuts at tensor boundaries, so a header or a tensor's first bytes never share a chunk
     * with what precedes them), and a reader verifies exactly the chunks it reads:
     * <ul>
     *   <li>{@code chunkCrc32c} (written since reads verify CRC32C): the CRC32C (Castagnoli, what HDFS, GCS and S3
     *       check objects with; hardware-accelerated in the JDK, many GB/s a core, where sha256 ran slower than a
     *       page-cache read) of each chunk, 8 hex digits. {@code sha256} is still written, the sha256 of the
     *       concatenated sha256s of the chunks (computed on hashing threads while writing), for a content id that
     *       does not depend on CRC32C: {@code checkpoint inspect} re-hashes the file against it, and export names
     *       its shared directory by it. No read needs it.</li>
     *   <li>{@code chunks} (manifests written before): the sha256 of each chunk; {@code sha256} is the sha256 of
     *       them concatenated. Still read, verified with sha256.</li>
     *   <li>neither (manifests from before chunked checksums): {@code sha256} is the whole file's.</li>
     * </ul>
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FileEntry(String sha256, long bytes, Integer chunkBytes, List<Long> cuts, List<String> chunks,
                            List<String> chunkCrc32c) {
        /** A whole-file checksum (what manifests held before chunked checksums). */
        public FileEntry(String sha256, long bytes) {
            this(sha256, bytes, null, null, null, null);
        }

        public FileEntry {
            cuts = cuts == null ? null : List.copyOf(cuts);
            chunks = chunks == null ? null : List.copyOf(chunks);
            chunkCrc32c = chunkCrc32c == null ? null : List.copyOf(chunkCrc32c);
        }

        /** Whether this entry records per-chunk checksums (of either kind). */
        public boolean chunked() {
            return chunks != null || chunkCrc32c != null;
        }
    }

    public Manifest {
        if (step < 0) throw new IllegalArgumentException("manifest step must be >= 0, got " + step);
        if (worldSize < 1) throw new IllegalArgumentException("manifest world_size must be >= 1, got " + worldSize);
        // A missing "files" key reads as an empty map, so validation reports "lists no files" instead of an NPE.
        files = files == null ? Map.of() : Map.copyOf(files);
    }

    /** A manifest of a run that scales no loss and skips no step (optimizer steps = {@code step}). */
    public Manifest(long step, String runId, int worldSize, int zeroStage, Map<String, FileEntry> files,
                    Layout layout, JsonNode config, DataCursor data, Rng rng) {
        this(step, runId, worldSize, zeroStage, files, layout, config, data, rng, null, null);
    }

    /** The optimizer steps applied up to this step ({@code step} where the manifest does not record them). */
    public long appliedSteps() {
        return optimizerSteps == null ? step : optimizerSteps;
    }

    /** Whether run {@code id} wrote this step. */
    public boolean writtenBy(String id) {
        return runId != null && runId.equals(id);
    }
}
