package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code eval rouge}: per-pair lines and the means line carry rouge-score's values (from the ROUGE fixture). */
class EvalRougeCommandTest {
    static final List<String> TYPES = List.of("rouge1", "rouge2", "rougeL", "rougeLsum");
    final ObjectMapper m = new ObjectMapper();
    @TempDir Path dir;

    @Test
    void printsEachPairThenTheMeansWithAndWithoutStemmer() throws Exception {
        JsonNode fixture = m.readTree(TestPaths.testData().resolve("fixtures/rouge/rouge_reference.json").toFile());
        List<JsonNode> picked = new ArrayList<>();
        StringBuilder jsonl = new StringBuilder();
        // Pairs whose stemmed and unstemmed scores differ, so the flag is seen to matter; one gets a numeric id.
        for (JsonNode p : fixture.get("pairs")) {
            if (picked.size() < 4 && !p.get("scores").get("stem").equals(p.get("scores").get("nostem"))) {
                picked.add(p);
                ObjectNode line = m.createObjectNode();
                if (picked.size() == 1) line.put("id", 7); else line.put("id", p.get("id").asText());
                line.put("prediction", p.get("prediction").asText()).put("reference", p.get("reference").asText());
                jsonl.append(line).append('\n');
            }
        }
        assertEquals(4, picked.size());
        Path file = Files.writeString(dir.resolve("pairs.jsonl"), jsonl + "\n");
        for (String mode : List.of("stem", "nostem")) {
            CliRun r = mode.equals("stem") ? CliRun.of("eval", "rouge", "--pairs", file.toString())
                    : CliRun.of("eval", "rouge", "--pairs", file.toString(), "--no-stemmer");
            assertEquals(0, r.code(), r.toString());
            String[] lines = r.out().strip().split("\n");
            assertEquals(5, lines.length, r.out());
            double[][] sums = new double[4][3];
            for (int i = 0; i < 4; i++) {
                JsonNode got = m.readTree(lines[i]);
                JsonNode want = picked.get(i).get("scores").get(mode);
                assertEquals(i == 0 ? m.getNodeFactory().numberNode(7) : picked.get(i).get("id"), got.get("id"), "ids kept as written");
                for (int t = 0; t < 4; t++) {
                    for (int k = 0; k < 3; k++) {
                        String f = "prf".substring(k, k + 1);
                        double w = want.get(TYPES.get(t)).get(f).asDouble();
                        assertEquals(w, got.get(TYPES.get(t)).get(f).asDouble(), 1e-9, mode + " line " + i + " " + TYPES.get(t) + "." + f);
                        sums[t][k] += w;
                    }
                }
            }
            JsonNode summary = m.readTree(lines[4]);
            assertEquals(4, summary.get("pairs").asInt());
            for (int t = 0; t < 4; t++) {
                for (int k = 0; k < 3; k++) {
                    String f = "prf".substring(k, k + 1);
                    assertEquals(sums[t][k] / 4, summary.get("mean").get(TYPES.get(t)).get(f).asDouble(), 1e-9, mode + " mean " + TYPES.get(t) + "." + f);
                }
            }
        }
    }

    @Test
    void aBadLineExitsTwoNamingLineAndFieldWithNothingOnStdout() throws Exception {
        String good = "{\"id\": \"a\", \"prediction\": \"the cat sat\", \"reference\": \"the cat sat down\"}\n";
        Path notJson = Files.writeString(dir.resolve("bad1.jsonl"), good + "{not json\n");
        CliRun r = CliRun.of("eval", "rouge", "--pairs", notJson.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("line 2: not JSON"), r.err());
        assertEquals("", r.out());

        Path missing = Files.writeString(dir.resolve("bad2.jsonl"), good + good + "{\"id\": \"c\", \"prediction\": \"x\"}\n");
        r = CliRun.of("eval", "rouge", "--pairs", missing.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("line 3: field \"reference\" is missing"), r.err());

        Path wrongType = Files.writeString(dir.resolve("bad3.jsonl"), "{\"id\": \"c\", \"prediction\": 5, \"reference\": \"x\"}\n");
        r = CliRun.of("eval", "rouge", "--pairs", wrongType.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("line 1: field \"prediction\" is not a string"), r.err());

        r = CliRun.of("eval", "rouge", "--pairs", dir.resolve("absent.jsonl").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("no such file"), r.err());
    }

    @Test
    void anEmptyFileGivesAZeroPairsSummary() throws Exception {
        CliRun r = CliRun.of("eval", "rouge", "--pairs", Files.writeString(dir.resolve("e.jsonl"), "").toString());
        assertEquals(0, r.code(), r.toString());
        JsonNode s = m.readTree(r.out().strip());
        assertEquals(0, s.get("pairs").asInt());
        assertTrue(s.get("mean").isNull(), r.out());
    }
}
