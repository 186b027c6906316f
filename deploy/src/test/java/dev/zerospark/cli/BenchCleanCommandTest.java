package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench clean}: every row is printed and in the JSON line, with consistent rates (no timing asserted). */
class BenchCleanCommandTest {
    @Test
    void reportsNormalArticlesNextToAdversarialBodies() throws Exception {
        CliRun r = CliRun.of("bench", "clean", "--articles", "200", "--seconds", "0.05");
        assertEquals(0, r.code(), r.toString());
        String[] lines = r.out().strip().split("\n");
        JsonNode j = new ObjectMapper().readTree(lines[lines.length - 1]);
        List<String> names = new ArrayList<>();
        for (JsonNode row : j.get("rows")) {
            String name = row.get("name").asText();
            names.add(name);
            assertTrue(r.out().contains(name), name + " in\n" + r.out());
            assertEquals(row.get("docs").asDouble() / row.get("seconds").asDouble(), row.get("docs_per_s").asDouble(), 1e-6);
            assertEquals(row.get("bytes").asDouble() / 1e6 / row.get("seconds").asDouble(), row.get("mb_per_s").asDouble(), 1e-6);
            assertTrue(row.get("seconds").asDouble() >= 0.05, row.toString());
        }
        assertEquals("normal articles, plain text", names.get(0));
        assertTrue(names.contains("1 MB of '<' without '>'") && names.contains("1 MB of <p> under one parent"), names.toString());
        JsonNode normal = j.get("rows").get(0);
        assertTrue(normal.get("bytes").asLong() / normal.get("docs").asLong() < 5000, "normal articles are article-sized: " + normal);
    }
}
