package dev.zerospark.training.data;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.zerospark.config.ConfigException;
import dev.zerospark.tokenizer.TokenizerProvenance;

/**
 * Where a run stands in its data, as a checkpoint's manifest records it (its {@code data} object): the table and
 * pinned version, the seed of the order, and the epoch and sample offset the next step starts at. A resume at any
 * world size continues from here. Bound by Jackson; checked by the checkpoint's manifest checks.
 *
 * @param seed the seed of the sample order (0 in manifests written before it was recorded)
 * @param sampleInEpoch the sample offset within the epoch; the key is {@code position}, as since the first manifests
 * @param rows the table's training rows (informational; null when not recorded)
 * @param tokenizer the tokenizer the table recorded, or null when it records none
 * @param shuffleWindow the samples the order shuffles together ({@link RankBatches#shuffleWindow()}): another window
 *                      is another order; null in manifests written before it was recorded
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DataCursor(String table,
                         @JsonProperty(required = true) long version,
                         long seed,
                         @JsonProperty(required = true) long epoch,
                         @JsonProperty(value = "position", required = true) long sampleInEpoch,
                         Long rows,
                         Tokenizer tokenizer,
                         Integer shuffleWindow) {

    /** A cursor that records no shuffle window. */
    public DataCursor(String table, long version, long seed, long epoch, long sampleInEpoch, Long rows, Tokenizer tokenizer) {
        this(table, version, seed, epoch, sampleInEpoch, rows, tokenizer, null);
    }

    /**
     * Refuses to resume {@code stepUri}'s cursor with readers that shuffle in windows of {@code window}: the position
     * would then index another order, silently repeating and skipping samples.
     */
    public void requireShuffleWindow(int window, String stepUri) {
        if (shuffleWindow != null && shuffleWindow != window) {
            throw new ConfigException("train.resume", stepUri + " was saved with a shuffle window of " + shuffleWindow
                    + " samples, but this build shuffles in windows of " + window + ": the resumed run would not "
                    + "continue the same sample order; resume with the build that saved it, or start a fresh run");
        }
    }

    /** The tokenizer a table recorded: the sha256 of its tokenizer.json and where it was. */
    public record Tokenizer(String sha256, String uri) {
        /** The record of {@code t}, or null when there is none. */
        public static Tokenizer of(TokenizerProvenance t) {
            return t == null ? null : new Tokenizer(t.sha256(), t.uri());
        }

        public TokenizerProvenance provenance() {
            return new TokenizerProvenance(sha256, uri);
        }
    }

    public StreamSchedule.Position position() {
        return new StreamSchedule.Position(epoch, sampleInEpoch);
    }
}
