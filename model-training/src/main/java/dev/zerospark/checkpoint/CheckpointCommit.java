package dev.zerospark.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.training.data.DataCursor;
import dev.zerospark.zero.DynamicLossScaler;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a checkpoint step's manifest is put together: each rank hands rank 0 the entries of the files it wrote
 * ({@link #encode}, one string per rank through the rendezvous), and rank 0 builds the manifest from them and the
 * run's typed records ({@link #manifest}), then commits it with {@link CheckpointStore#commit}. The training loop
 * writes no manifest JSON itself: Jackson writes the records.
 */
public final class CheckpointCommit {
    private static final TypeReference<Map<String, Manifest.FileEntry>> ENTRIES = new TypeReference<>() {};

    private CheckpointCommit() {}

    /** What a run records in every manifest: its id, world size, ZeRO stage and resolved config (JSON). */
    public record Run(String runId, int worldSize, int zeroStage, String configJson) {}

    /**
     * The optimizer's progress at the step: applied optimizer steps (fewer than the step when fp16 skipped some) and
     * the fp16 loss scaler's state (null when no loss is scaled).
     */
    public record Optimizer(long appliedSteps, DynamicLossScaler.State lossScaler) {}

    /** A rank's file entries as it hands them to rank 0. */
    public static String encode(Map<String, Manifest.FileEntry> files) {
        try {
            return ConfigLoader.jsonMapper().writeValueAsString(files);
        } catch (JsonProcessingException e) {
            throw new CheckpointException("cannot encode checkpoint file entries " + files.keySet() + ": " + e.getOriginalMessage(), e);
        }
    }

    /**
     * The manifest of {@code step}: the files every rank wrote ({@code gathered}, one {@link #encode}d string per
     * rank, in rank order), the layout the shards were cut with, where the data stands after the step, the RNG and the
     * optimizer's progress.
     */
    public static Manifest manifest(long step, Run run, List<String> gathered, Layout layout, DataCursor data,
                                    Manifest.Rng rng, Optimizer optimizer) {
        Map<String, Manifest.FileEntry> files = new LinkedHashMap<>();
        for (int rank = 0; rank < gathered.size(); rank++) {
            try {
                files.putAll(ConfigLoader.jsonMapper().readValue(gathered.get(rank), ENTRIES));
            } catch (JsonProcessingException e) {
                throw new CheckpointException("rank " + rank + " sent checkpoint file entries that do not parse: " + e.getOriginalMessage(), e);
            }
        }
        JsonNode config;
        try {
            config = ConfigLoader.jsonMapper().readTree(run.configJson());
        } catch (JsonProcessingException e) {
            throw new CheckpointException("the run's resolved config is not JSON: " + e.getOriginalMessage(), e);
        }
        return new Manifest(step, run.runId(), run.worldSize(), run.zeroStage(), files, layout, config, data, rng,
                optimizer.appliedSteps(), optimizer.lossScaler());
    }
}
