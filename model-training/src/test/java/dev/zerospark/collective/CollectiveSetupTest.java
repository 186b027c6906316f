package dev.zerospark.collective;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Configuration, rendezvous, secrets, scalar sums and the local-ranks runner. */
class CollectiveSetupTest {

    @Test
    void configRejectsBadValuesNamingTheSetting() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new CollectiveConfig(Duration.ZERO,
                "127.0.0.1", 1024)).getMessage().contains("timeout"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new CollectiveConfig(Duration.ofSeconds(1),
                " ", 1024)).getMessage().contains("bind_address"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new CollectiveConfig(Duration.ofSeconds(1),
                "127.0.0.1", 1022)).getMessage().contains("chunk_bytes"));
    }

    @Test
    void evenShardsGiveTheRemainderToTheFirstRanks() {
        ShardRanges ranges = ShardRanges.even(10, 7, 3);
        assertEquals(List.of(10L, 13L, 15L), List.of(ranges.offset(0), ranges.offset(1), ranges.offset(2)));
        assertEquals(List.of(3L, 2L, 2L), List.of(ranges.length(0), ranges.length(1), ranges.length(2)));
        ShardRanges tiny = ShardRanges.even(0, 2, 4);
        assertEquals(List.of(1L, 1L, 0L, 0L), List.of(tiny.length(0), tiny.length(1), tiny.length(2), tiny.length(3)));
    }

    @Test
    void secretsRoundTripAndNeverPrint() {
        JobSecret secret = JobSecret.random();
        assertEquals(secret.toBase64(), JobSecret.fromBase64(secret.toBase64()).toBase64());
        assertFalse(secret.toString().contains(secret.toBase64()));
        assertThrows(IllegalArgumentException.class, () -> JobSecret.fromBase64("c2hvcnQ="));
    }

    @Test
    void rendezvousTimesOutNamingTheWaitingRank() {
        InProcessRendezvous rendezvous = new InProcessRendezvous(2, Duration.ofMillis(200));
        CollectiveException e = assertThrows(CollectiveException.class,
                () -> rendezvous.forRank(1).allGather("x"));
        assertTrue(e.getMessage().contains("rank 1") && e.getMessage().contains("1 of 2"), e.getMessage());
    }

    @Test
    void scalarSumsAreExactEnoughAndIdenticalOnEveryRank() {
        for (int n = 1; n <= 4; n++) {
            int worldSize = n;
            List<Double> sums = TestRing.run(n, CollectiveConfig.loopback(Duration.ofSeconds(10)),
                    c -> c.sumAcrossRanks(Math.PI * 1e6 * (c.rank() + 1) + 1e-3));
            double expected = 0;
            for (int r = 0; r < worldSize; r++) {
                expected += Math.PI * 1e6 * (r + 1) + 1e-3;
            }
            for (double s : sums) {
                assertEquals(sums.get(0), s, 0.0, "ranks disagree");
                assertEquals(expected, s, Math.abs(expected) * 1e-13, "N=" + worldSize);
            }
        }
    }

    @Test
    void localRanksReportTheRankThatFailedFirstHandNotItsVictims() {
        LocalRanks.RankFailedException e = assertThrows(LocalRanks.RankFailedException.class,
                () -> LocalRanks.run(3, CollectiveConfig.loopback(Duration.ofSeconds(10)), c -> {
                    c.barrier();
                    if (c.rank() == 1) {
                        throw new IllegalStateException("model of rank 1 exploded");
                    }
                    c.barrier();
                    return c.rank();
                }));
        assertEquals(1, e.rank());
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertEquals(2, e.getSuppressed().length, "the other ranks' collective failures are attached");
    }
}
