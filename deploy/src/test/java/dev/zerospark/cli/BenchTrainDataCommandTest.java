package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench train-data}: the table it wrote, the steps the child trained and its heap, printed and in the JSON line (no timing asserted). */
class BenchTrainDataCommandTest {
    @TempDir Path tmp;

    @Test
    void writesTheTableTrainsInAChildDriverAndReportsItsHeap() throws Exception {
        CliRun r = CliRun.of("bench", "train-data", "--rows", "20000", "--seq-len", "65", "--steps", "2",
                "--driver-memory", "256m", "--dir", tmp.toString());
        assertEquals(0, r.code(), r.toString());
        String[] lines = r.out().strip().split("\n");
        JsonNode j = new ObjectMapper().readTree(lines[lines.length - 1]);
        assertEquals(20000, j.get("rows").asLong());
        assertEquals(20000L * 65 * 4, j.get("token_bytes").asLong());
        // uncompressed ids without dictionaries: the files hold at least the ids' bytes
        assertTrue(j.get("table_bytes").asLong() >= j.get("token_bytes").asLong(), j.toString());
        assertEquals(2, j.get("steps").asLong(), r.out());
        long peak = j.get("driver_peak_heap_bytes").asLong();
        assertTrue(peak > 0 && peak <= 256L << 20, j.toString());
        assertTrue(lines[lines.length - 2].contains(String.valueOf(peak)), "the table row shows the peak: " + r.out());
    }

    @Test
    void aBadDriverMemoryIsAUsageErrorNamingTheOption() {
        CliRun r = CliRun.of("bench", "train-data", "--rows", "1000", "--driver-memory", "lots");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--driver-memory") && r.err().contains("lots"), r.err());
    }

    @Test
    void aMasterThatIsNeitherLocalNorStandaloneIsAUsageErrorNamingIt() {
        CliRun r = CliRun.of("bench", "train-data", "--rows", "1000", "--master", "yarn");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--master") && r.err().contains("yarn"), r.err());
    }

    @Test
    void aBadExecutorMemoryIsAUsageErrorNamingTheOption() {
        CliRun r = CliRun.of("bench", "train-data", "--rows", "1000", "--master", "spark://127.0.0.1:7077", "--executor-memory", "2 GB");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--executor-memory") && r.err().contains("2 GB"), r.err());
    }
}
