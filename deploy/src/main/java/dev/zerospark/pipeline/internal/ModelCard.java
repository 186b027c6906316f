package dev.zerospark.pipeline.internal;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Iterator;
import java.util.Map;

/** The short {@code MODEL_CARD.md} of a registered version, from its {@code metrics.json}. */
final class ModelCard {
    private ModelCard() {}

    static String render(String name, JsonNode m) {
        StringBuilder s = new StringBuilder();
        s.append("# ").append(name).append(" v").append(m.path("version").asText("?")).append("\n\n");
        s.append("Trained by zerospark pipeline run `").append(m.path("run_id").asText()).append("`.\n\n");
        s.append("- Base model: ").append(m.path("base_model").asText()).append('\n');
        s.append("- Steps: ").append(m.path("steps").asInt()).append('\n');
        JsonNode d = m.path("data");
        s.append("- Data: `").append(d.path("lm_blocks").asText()).append("` version ").append(d.path("lm_blocks_version").asLong())
                .append(" (").append(d.path("new_train_rows").asLong()).append(" new train blocks since version ")
                .append(d.path("baseline_version").asLong()).append(", ").append(d.path("replay_rows").asLong()).append(" replayed)\n");
        JsonNode e = m.path("eval");
        s.append("- Evaluation set: `").append(e.path("table").asText()).append("` version ").append(e.path("version").asLong()).append('\n');
        s.append("\n| metric | this version |").append(e.has("champion_version") ? " previous champion v" + e.get("champion_version").asInt() + " |" : "")
                .append("\n|---|---|").append(e.has("champion_version") ? "---|" : "").append('\n');
        for (Iterator<Map.Entry<String, JsonNode>> it = e.path("metrics").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            s.append("| ").append(f.getKey()).append(" | ").append(String.format(java.util.Locale.ROOT, "%.6g", f.getValue().asDouble())).append(" |");
            if (e.has("champion_version")) {
                JsonNode c = e.path("champion_metrics").path(f.getKey());
                s.append(' ').append(c.isNumber() ? String.format(java.util.Locale.ROOT, "%.6g", c.asDouble()) : "-").append(" |");
            }
            s.append('\n');
        }
        s.append("\nPromotion: ").append(m.path("decision").asText()).append('\n');
        return s.toString();
    }
}
