package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench dedup}: the table and the JSON line, and the planted near duplicates are found (no timing asserted). */
class BenchDedupCommandTest {
    @Test
    void findsThePlantedNearDuplicatesAndReportsTheDriverHeap() throws Exception {
        CliRun r = CliRun.of("bench", "dedup", "--docs", "2000", "--near-dup-rate", "0.1");
        assertEquals(0, r.code(), r.toString());
        String[] lines = r.out().strip().split("\n");
        JsonNode j = new ObjectMapper().readTree(lines[lines.length - 1]);
        assertEquals(2000, j.get("docs").asLong());
        long planted = j.get("planted").asLong();
        assertTrue(planted > 150 && planted < 250, "about a tenth planted: " + planted);
        assertEquals(planted, j.get("found_planted").asLong(), "every planted near duplicate found: " + j);
        assertEquals(planted, j.get("found").asLong(), "and nothing else: " + j);
        assertEquals(1.0, j.get("recall").asDouble());
        assertEquals(1.0, j.get("precision").asDouble());
        assertEquals(j.get("docs").asDouble() / j.get("dedup_seconds").asDouble(), j.get("records_per_s").asDouble(), 1e-6);
        long peak = j.get("driver_heap_peak_bytes").asLong();
        assertTrue(peak > 0 && peak <= j.get("driver_heap_max_bytes").asLong(), j.toString());
        assertTrue(j.get("driver_old_gen_peak_bytes").asLong() <= peak, j.toString());
        assertTrue(r.out().contains("driver heap peak in use (MiB)") && r.out().contains("recall (planted found)"), r.out());
    }

    @Test
    void aRateOutsideZeroToOneIsRefusedNamingTheOption() {
        CliRun r = CliRun.of("bench", "dedup", "--docs", "10", "--near-dup-rate", "1.5");
        assertTrue(r.code() != 0, r.toString());
        assertTrue(r.err().contains("--near-dup-rate") && r.err().contains("1.5"), r.toString());
    }
}
