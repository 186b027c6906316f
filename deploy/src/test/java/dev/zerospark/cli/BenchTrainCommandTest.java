package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bench runs end to end on a tiny model and reports both world sizes and checkpoint I/O (no timing asserted). */
class BenchTrainCommandTest {
    @Test
    void printsTableAndJsonForOneAndTwoRanks() throws Exception {
        CliRun r = CliRun.of("bench", "train", "--steps", "2", "--seq-len", "16", "--global-batch", "2", "--threads", "1");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("ranks") && r.out().contains("compute ms") && r.out().contains("checkpoint ("), r.out());
        String[] lines = r.out().strip().split("\n");
        JsonNode json = new ObjectMapper().readTree(lines[lines.length - 1]);
        assertEquals(2, json.get("rows").size());
        assertEquals(1, json.get("rows").get(0).get("worldSize").asInt());
        assertEquals(2, json.get("rows").get(1).get("worldSize").asInt());
        for (JsonNode row : json.get("rows")) assertTrue(row.get("tokensPerS").asDouble() > 0, row.toString());
        assertTrue(json.get("checkpoint").get("bytes").asLong() > 4 * json.get("parameters").asLong(), json.toString());
        // The default store is the bench's scratch: gone after the run (each run used to leave one in /tmp).
        java.util.regex.Matcher store = java.util.regex.Pattern.compile("store (file:\\S+)").matcher(r.out());
        assertTrue(store.find(), r.out());
        java.nio.file.Path scratch = java.nio.file.Path.of(java.net.URI.create(store.group(1)));
        assertTrue(scratch.getFileName().toString().startsWith("zs-bench-train"), scratch.toString());
        assertTrue(!java.nio.file.Files.exists(scratch), scratch + " is left behind");
    }
}
