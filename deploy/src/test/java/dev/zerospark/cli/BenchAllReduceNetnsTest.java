package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bench allreduce --netns}: ranks in their own namespaces over shaped links. Needs root (CI runs as root);
 * without it the tests fail, saying so, rather than skip.
 */
class BenchAllReduceNetnsTest {
    @Test
    void theShapedLinkBoundsTheRingAndTheRawStreamAndTheTableSaysSo() throws Exception {
        NetsimScriptTest.requireRoot();
        double gbit = 0.2;
        CliRun run = CliRun.of("bench", "allreduce", "--netns", "3", "--link-gbit", Double.toString(gbit),
                "--bytes", "4194304", "--warmup", "1", "--iters", "3");
        assertEquals(0, run.code(), run.toString());
        assertTrue(run.out().contains("links shaped to 0.2 Gbit/s") && run.out().contains("bus/link"), run.toString());
        String json = run.out().lines().filter(l -> l.startsWith("[")).reduce((a, b) -> b).orElseThrow();
        JsonNode row = new ObjectMapper().readTree(json).get(0);
        double linkGBps = gbit / 8;
        double raw = row.get("linkStreamGBps").asDouble();
        double bus = row.get("busBwGBps").asDouble();
        // Unshaped, veth between namespaces moves several GB/s: 25 MB/s here means tbf really limits the link.
        assertTrue(raw <= 1.1 * linkGBps && raw >= 0.5 * linkGBps, "raw stream vs the 25 MB/s link: " + row);
        assertTrue(bus <= 1.1 * linkGBps && bus >= 0.3 * linkGBps, "ring busbw vs the 25 MB/s link: " + row);
        assertEquals(bus / raw, row.get("bus_over_link").asDouble(), 1e-9, row.toString());
        assertEquals(3, row.get("worldSize").asInt());
        assertEquals(List.of(), NetsimScriptTest.namespaces("zs"), "the bench removes its namespaces");
    }

    @Test
    void aRankThatFailsFailsTheBenchAtOnceWithItsLogAndLeavesNoNamespacesBehind(@TempDir Path tmp) throws Exception {
        NetsimScriptTest.requireRoot();
        // The real ip, except that rank 1's JVM never starts (netsim.sh's own `ip netns exec zs1 tc` still runs): rank 0 would wait out its 2-minute rendezvous.
        Path ip = tmp.resolve("ip");
        Files.writeString(ip, """
                #!/bin/sh
                case "$1 $2 $3 $4" in "netns exec zs1 "*/java) echo "injected: rank 1 cannot start" >&2; exit 7 ;; esac
                exec %s "$@"
                """.formatted(NetsimScriptTest.run(java.util.Map.of(), "sh", "-c", "command -v ip").output().strip()));
        assertTrue(ip.toFile().setExecutable(true));
        long start = System.nanoTime();
        CliRun run = CliRun.of("bench", "allreduce", "--netns", "2", "--bytes", "4096", "--ip-command", ip.toString());
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().contains("rank 1 exited 7") && run.err().contains("injected: rank 1 cannot start"), run.toString());
        assertTrue(seconds < 60, "failed after " + seconds + " s, not at once");
        assertEquals(List.of(), NetsimScriptTest.namespaces("zs"), "the bench removes its namespaces after a failure");
    }

    @Test
    void withoutIpNetnsItSaysSoOnOneLineAndExits2() throws Exception {
        CliRun run = CliRun.of("bench", "allreduce", "--netns", "2", "--ip-command", "/nonexistent/ip");
        assertEquals(2, run.code(), run.toString());
        assertEquals(1, run.err().lines().count(), run.toString());
        assertTrue(run.err().contains("--netns") && run.err().contains("/nonexistent/ip netns list"), run.toString());
        assertEquals("", run.out(), run.toString());
    }

    @Test
    void oneRankIsRejectedNamingTheFlag() {
        CliRun run = CliRun.of("bench", "allreduce", "--netns", "1");
        assertEquals(2, run.code(), run.toString());
        assertTrue(run.err().contains("--netns needs at least 2 ranks"), run.toString());
    }
}
