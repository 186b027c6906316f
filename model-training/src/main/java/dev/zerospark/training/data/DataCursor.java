package dev.zerospark.training.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Where a run stands in its data, as a checkpoint records it: the table and pinned version, the seed of the order,
 * and the epoch and sample offset the next step starts at. A resume at any world size continues from here.
 */
public record DataCursor(String table, long version, long seed, long epoch, long sampleInEpoch) {

    public static final String TABLE = "table";
    public static final String VERSION = "version";
    public static final String SEED = "seed";
    public static final String EPOCH = "epoch";
    /** Named {@code position} since the first manifests; it is the sample offset within the epoch. */
    public static final String SAMPLE_IN_EPOCH = "position";

    public StreamSchedule.Position position() {
        return new StreamSchedule.Position(epoch, sampleInEpoch);
    }

    public ObjectNode toJson() {
        return JsonNodeFactory.instance.objectNode().put(TABLE, table).put(VERSION, version).put(SEED, seed)
                .put(EPOCH, epoch).put(SAMPLE_IN_EPOCH, sampleInEpoch);
    }

    /** Reads the cursor a manifest's data record holds; {@code where} names the manifest in errors. */
    public static DataCursor fromJson(JsonNode data, String where) {
        for (String key : new String[] {TABLE, VERSION, EPOCH, SAMPLE_IN_EPOCH}) {
            if (data == null || !data.hasNonNull(key)) {
                throw new IllegalArgumentException(where + ": the data cursor has no " + key + " (data: " + data + ")");
            }
        }
        return new DataCursor(data.get(TABLE).asText(), data.get(VERSION).asLong(),
                data.hasNonNull(SEED) ? data.get(SEED).asLong() : 0, data.get(EPOCH).asLong(), data.get(SAMPLE_IN_EPOCH).asLong());
    }
}
