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

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a sharded checkpoint into an HF model directory: each weight is rebuilt from the ranks' fp32 master shards
 * by the manifest's layout (verified as read) and written with the model's config.json and tokenizer files as {@code transformers} expects. The tokenizer files are
 * the ones given, else those train kept in the checkpoint root (see {@link CheckpointTokenizer}).
 */
public final class CheckpointExport {
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
            store.checkIntact(manifest); // the checksums are verified as export reads the shards

            return new Target(store, manifest);
        }
        CheckpointStore store = new CheckpointStore(uri, conf);
        Manifest manifest = store.latestValid().orElseThrow(() -> new CheckpointException("no complete checkpoint under " + uri));
        return new Target(store, manifest);
    }

    /**
     * Writes the HF directory and returns the number of tensors written.
     *
     * @param tokenizerFrom a tokenizer directory to copy, or null for the checkpoint root's tokenizer (when it has one)
     */
    public static int export(Target target, Path out, Path tokenizerFrom) throws IOException {
        Manifest manifest = target.manifest();
        String configJson = RankCheckpoint.modelConfig(target.store(), manifest);
        ModelConfig config = HfConfigs.parse((ObjectNode) new ObjectMapper().readTree(configJson));
        Map<String, float[]> weights = RankCheckpoint.loadWeights(target.store(), manifest);
        HfCheckpointWriter.save(config, weights, out, HfCheckpointWriter.Options.defaults(tokenizerFrom));
        if (tokenizerFrom == null) CheckpointTokenizer.exportTo(target.store(), manifest, out);
        return weights.size();
    }
}
