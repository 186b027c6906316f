package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench rouge}: a table row and a JSON row per stemmer setting, with consistent rates (no timing asserted). */
class BenchRougeCommandTest {
    @Test
    void reportsPairsPerSecondWithAndWithoutStemmer() throws Exception {
        CliRun r = CliRun.of("bench", "rouge", "--generate", "50", "--seconds", "0.05");
        assertEquals(0, r.code(), r.toString());
        String[] lines = r.out().strip().split("\n");
        JsonNode j = new ObjectMapper().readTree(lines[lines.length - 1]);
        assertEquals(50, j.get("input_pairs").asInt());
        assertEquals(2, j.get("rows").size());
        for (JsonNode row : j.get("rows")) {
            assertTrue(r.out().contains(row.get("name").asText()), r.out());
            assertEquals(0, row.get("pairs").asLong() % 50, row.toString());
            assertTrue(row.get("seconds").asDouble() >= 0.05, row.toString());
            assertEquals(row.get("pairs").asDouble() / row.get("seconds").asDouble(), row.get("pairs_per_s").asDouble(), 1e-6);
            double f = row.get("mean_rougeLsum_f").asDouble();
            assertTrue(f > 0.3 && f < 1, "generated predictions overlap their references partly: " + row);
        }
        assertTrue(j.get("rows").get(0).get("stemmer").asBoolean());
        assertEquals(2, CliRun.of("bench", "rouge", "--generate", "0").code());
    }
}
