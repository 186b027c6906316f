package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** verify-training, bench allreduce and bench zero-memory through the CLI. */
class TrainingCommandsTest {

    @Test
    void verifyTrainingPassesOnTheFixtureWithTwoRanksAndZero2() {
        CliRun r = CliRun.of("verify-training", "--model", TestPaths.fixture("tiny-llama").toString(),
                "--world-size", "2", "--zero-stage", "2");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("PASS"), r.out());
        assertTrue(r.out().contains("device cpu()"), "the default device is the CPU: " + r.out());
    }

    @Test
    void verifyTrainingNamesABadDevice() {
        CliRun r = CliRun.of("verify-training", "--model", TestPaths.fixture("tiny-llama").toString(), "--device", "cuda0");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--device: device 'cuda0' cannot be used: expected cpu or cuda:N"), r.err());
    }

    @Test
    void verifyTrainingFailsWhenTheRecordedLossesDisagree(@TempDir Path dir) throws Exception {
        Path fixture = TestPaths.fixture("tiny-gpt2");
        try (Stream<Path> files = Files.list(fixture)) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode ref = (ObjectNode) json.readTree(dir.resolve("training_reference.json").toFile());
        ObjectNode step3 = (ObjectNode) ((ArrayNode) ref.get("steps")).get(3);
        step3.put("loss", step3.get("loss").asDouble() + 0.01);
        Files.delete(dir.resolve("training_reference.json"));
        json.writeValue(dir.resolve("training_reference.json").toFile(), ref);
        CliRun r = CliRun.of("verify-training", "--model", dir.toString(), "--world-size", "2", "--zero-stage", "1");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("FAIL"), r.out());
    }

    @Test
    void verifyTrainingNamesAMissingReference(@TempDir Path dir) {
        CliRun r = CliRun.of("verify-training", "--model", dir.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("training_reference.json"), r.err());
    }

    @Test
    void zeroMemoryShardsOptimizerStateOverN() throws Exception {
        CliRun r = CliRun.of("bench", "zero-memory");
        assertEquals(0, r.code(), r.toString());
        String[] lines = r.out().strip().split("\n");
        JsonNode rows = new ObjectMapper().readTree(lines[lines.length - 1]);
        assertEquals(9, rows.size());
        for (JsonNode row : rows) {
            if (row.get("stage").asInt() > 0) {
                assertEquals(1.0, row.get("oursOptimizerState").asDouble() / row.get("fp32FormulaOptimizerState").asDouble(), 1e-4, row.toString());
            }
        }
    }

    @Test
    void allReduceBenchReportsBusBandwidthAndTheRawStream() throws Exception {
        CliRun r = CliRun.of("bench", "allreduce", "--world-size", "2", "--bytes", "4096,65536", "--warmup", "1", "--iters", "2");
        assertEquals(0, r.code(), r.toString());
        String[] lines = r.out().strip().split("\n");
        JsonNode rows = new ObjectMapper().readTree(lines[lines.length - 1]);
        assertEquals(4, rows.size(), "each size with the frame MAC on, then off");
        for (int i = 0; i < 4; i++) {
            assertEquals(i < 2, rows.get(i).get("frameMac").asBoolean(), rows.get(i).toString());
        }
        for (JsonNode row : rows) {
            assertTrue(row.get("busBwGBps").asDouble() > 0 && row.get("rawStreamGBps").asDouble() > 0, row.toString());
            assertEquals(row.get("algBwGBps").asDouble(), row.get("busBwGBps").asDouble(), 1e-9 * row.get("algBwGBps").asDouble());
        }
    }
}
