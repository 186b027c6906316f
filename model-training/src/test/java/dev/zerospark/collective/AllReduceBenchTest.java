package dev.zerospark.collective;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bench's arithmetic and plumbing, on small sizes; no timing assertions. */
class AllReduceBenchTest {
    @Test
    void rowsFollowTheNcclTestsDefinitions() {
        long[] sizes = {4, 4096, 1 << 20};
        List<AllReduceBench.Row> rows = AllReduceBench.run(3, sizes, 1, 2,
                CollectiveConfig.loopback(Duration.ofSeconds(30)));
        assertEquals(3, rows.size());
        for (int i = 0; i < sizes.length; i++) {
            AllReduceBench.Row row = rows.get(i);
            assertEquals(sizes[i], row.bytes());
            assertTrue(row.avgMillis() > 0 && row.rawStreamGBps() > 0, row.toString());
            assertEquals(sizes[i] / (row.avgMillis() / 1e3) / 1e9, row.algBwGBps(), 1e-9 * row.algBwGBps());
            assertEquals(row.algBwGBps() * 4.0 / 3.0, row.busBwGBps(), 1e-12 * row.busBwGBps());
            assertEquals(row.busBwGBps() / row.rawStreamGBps(), row.busOverRaw(), 1e-12);
            assertTrue(row.rawRingGBps() > 0, "three raw streams ran as a ring: " + row);
            assertEquals(row.busBwGBps() / row.rawRingGBps(), row.busOverRawRing(), 1e-12);
        }
        AllReduceBench.Row single = AllReduceBench.run(1, new long[] {4096}, 0, 1, CollectiveConfig.loopback(Duration.ofSeconds(30))).get(0);
        assertTrue(Double.isNaN(single.busOverRaw()) && Double.isNaN(single.rawRingGBps()), "one rank moves no bytes: " + single);
    }

    @Test
    void sizesThatAreNotWholeFloatsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AllReduceBench.run(2,
                new long[] {6}, 0, 1, CollectiveConfig.loopback(Duration.ofSeconds(5))));
        assertTrue(e.getMessage().contains("6"), e.getMessage());
    }
}
