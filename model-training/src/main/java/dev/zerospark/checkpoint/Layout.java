package dev.zerospark.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.train.ParamSpec;
import dev.zerospark.zero.PartitionLayout;

import java.util.ArrayList;
import java.util.List;

/**
 * The manifest's {@code layout}, typed: the flat buffer the optimizer shards cut up, and every parameter's place in
 * it. Resharding reads flat ranges by it, and export rebuilds each weight from the master shards by it.
 */
public record Layout(int worldSize, long numel, long paddedNumel, long shardSize, int alignment, List<Param> params) {
    /** One parameter: its HF name and shape, and where its elements lie in the flat buffer. */
    public record Param(String name, long offset, long numel, boolean decay, long[] shape) {}

    public Layout {
        params = List.copyOf(params);
    }

    public static Layout of(PartitionLayout layout, List<ParamSpec> specs) {
        List<Param> params = new ArrayList<>();
        for (ParamSpec s : specs) params.add(new Param(s.name(), s.offset(), s.numel(), s.decay(), s.shape()));
        return new Layout(layout.worldSize(), layout.numel(), layout.paddedNumel(), layout.shardSize(), layout.alignment(), params);
    }

    /** Reads a manifest's layout; {@code stepUri} names the step in errors. */
    public static Layout of(JsonNode json, String stepUri) {
        if (json == null || !json.isObject()) throw corrupt(stepUri, "has no layout object");
        JsonNode params = json.get("params");
        if (params == null || !params.isArray()) throw corrupt(stepUri, "layout has no params array");
        List<Param> list = new ArrayList<>();
        for (JsonNode p : params) {
            JsonNode shape = p.get("shape");
            if (!p.hasNonNull("name") || !p.hasNonNull("offset") || !p.hasNonNull("numel") || shape == null || !shape.isArray()) {
                throw corrupt(stepUri, "layout param " + p + " needs name, offset, numel and shape");
            }
            long[] dims = new long[shape.size()];
            long count = 1;
            for (int i = 0; i < dims.length; i++) {
                dims[i] = shape.get(i).asLong();
                count *= dims[i];
            }
            long offset = p.get("offset").asLong();
            long numel = p.get("numel").asLong();
            if (offset < 0 || numel != count || offset + numel > json.path("numel").asLong()) {
                throw corrupt(stepUri, "layout param " + p.get("name").asText() + " has offset " + offset + ", numel "
                        + numel + " and shape " + shape + ", which do not fit the flat buffer");
            }
            list.add(new Param(p.get("name").asText(), offset, numel, p.path("decay").asBoolean(), dims));
        }
        return new Layout(json.path("world_size").asInt(), json.path("numel").asLong(), json.path("padded_numel").asLong(),
                json.path("shard_size").asLong(), json.path("alignment").asInt(), list);
    }

    public ObjectNode toJson() {
        ObjectNode json = JsonNodeFactory.instance.objectNode().put("world_size", worldSize).put("numel", numel)
                .put("padded_numel", paddedNumel).put("shard_size", shardSize).put("alignment", alignment);
        var array = json.putArray("params");
        for (Param p : params) {
            var shape = array.addObject().put("name", p.name()).put("offset", p.offset()).put("numel", p.numel())
                    .put("decay", p.decay()).putArray("shape");
            for (long d : p.shape()) shape.add(d);
        }
        return json;
    }

    private static CorruptCheckpointException corrupt(String stepUri, String problem) {
        return new CorruptCheckpointException(stepUri, null, problem);
    }
}
