package dev.zerospark.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/cluster/netsim.sh builds and removes its namespaces, shapes every link, and refuses clearly where it
 * cannot run. Needs root (CI runs as root): without it the tests fail, saying so, rather than skip.
 */
class NetsimScriptTest {
    /** Not the bench's "zs", so a bench running meanwhile keeps its namespaces. */
    private static final String PREFIX = "zst";

    @AfterEach
    void removeEverything() throws Exception {
        if (isRoot()) {
            netsim(Map.of(), "down");
        }
    }

    @Test
    void upCreatesShapedNamespacesIdempotentlyAndDownRemovesThemAll() throws Exception {
        requireRoot();
        Run up = netsim(Map.of(), "up", "3", "0.5");
        assertEquals(0, up.code(), up.toString());
        assertEquals(List.of("zst0", "zst1", "zst2", "zstsw"), ours());
        Run addr = run(Map.of(), "ip", "-n", "zst2", "-4", "addr", "show", "dev", "eth0");
        assertTrue(addr.output().contains("10.213.0.3/24"), addr.toString());
        // Both directions of a rank's link are shaped: its own egress and the switch port towards it.
        for (String[] nsDev : new String[][] {{"zst1", "eth0"}, {"zstsw", "p1"}}) {
            Run qdisc = run(Map.of(), "ip", "netns", "exec", nsDev[0], "tc", "qdisc", "show", "dev", nsDev[1]);
            assertTrue(qdisc.output().contains("tbf") && qdisc.output().contains("rate 500Mbit"), qdisc.toString());
        }

        Run again = netsim(Map.of(), "up", "2", "1");
        assertEquals(0, again.code(), again.toString());
        assertEquals(List.of("zst0", "zst1", "zstsw"), ours(), "up removes what an earlier up made");

        Run down = netsim(Map.of(), "down");
        assertEquals(0, down.code(), down.toString());
        assertEquals(List.of(), ours());
    }

    @Test
    void anUpThatFailsHalfWayRemovesWhatItCreated() throws Exception {
        requireRoot();
        // tc exists as a command but fails: the first link cannot be shaped after its namespace was made.
        Run up = netsim(Map.of("NETSIM_TC", "/bin/false"), "up", "2", "1");
        assertNotEquals(0, up.code(), up.toString());
        assertTrue(up.output().contains("removing what it created"), up.toString());
        assertEquals(List.of(), ours());
    }

    @Test
    void withoutIpNetnsItSaysSoAndExits2() throws Exception {
        requireRoot();
        Run check = netsim(Map.of("NETSIM_IP", "/nonexistent/ip"), "up", "2", "1");
        assertEquals(2, check.code(), check.toString());
        assertTrue(check.output().contains("'/nonexistent/ip netns list' does not run"), check.toString());
    }

    @Test
    void withoutRootItSaysSoAndExits2() throws Exception {
        requireRoot(); // to become someone else
        // The checkout may sit below a folder only root can enter (mktemp -d makes them 0700), so the unprivileged
        // user runs a copy of the script from a folder everyone may read, with "/" as its working directory.
        Path dir = java.nio.file.Files.createTempDirectory("zs-netsim-nobody",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x")));
        Path copy = java.nio.file.Files.copy(script(), dir.resolve("netsim.sh"));
        java.nio.file.Files.setPosixFilePermissions(copy, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Run r;
        try {
            r = run(Map.of(), "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "bash", "-c", "cd / && exec bash \"$0\" up 2 1", copy.toString());
        } finally {
            java.nio.file.Files.delete(copy);
            java.nio.file.Files.delete(dir);
        }
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.output().contains("netsim: needs root") && r.output().contains("uid 65534"), r.toString());
    }

    @Test
    void badArgumentsAreNamed() throws Exception {
        requireRoot();
        Run rate = netsim(Map.of(), "up", "2", "fast");
        assertEquals(2, rate.code(), rate.toString());
        assertTrue(rate.output().contains("got 'fast'"), rate.toString());
        Run n = netsim(Map.of(), "up", "0", "1");
        assertEquals(2, n.code(), n.toString());
        assertTrue(n.output().contains("got '0'"), n.toString());
        assertEquals(List.of(), ours());
    }

    record Run(int code, String output) {}

    static Path script() {
        return ProjectFiles.locate(null, BenchAllReduceCommand.NETSIM_SCRIPT);
    }

    private static Run netsim(Map<String, String> env, String... args) throws Exception {
        Map<String, String> all = new java.util.HashMap<>(env);
        all.putIfAbsent("NETSIM_PREFIX", PREFIX);
        List<String> cmd = new ArrayList<>(List.of("bash", script().toString()));
        cmd.addAll(Arrays.asList(args));
        return run(all, cmd.toArray(String[]::new));
    }

    static Run run(Map<String, String> env, String... cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("PATH", pb.environment().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin");
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out);
    }

    /** This test's namespaces, sorted. */
    private static List<String> ours() throws Exception {
        return namespaces(PREFIX);
    }

    static List<String> namespaces(String prefix) throws Exception {
        Run list = run(Map.of(), "ip", "netns", "list");
        assertEquals(0, list.code(), list.toString());
        return list.output().lines().map(l -> l.split(" ")[0]).filter(n -> n.matches(prefix + "([0-9]+|sw)"))
                .sorted().toList();
    }

    static boolean isRoot() throws Exception {
        return run(Map.of(), "id", "-u").output().strip().equals("0");
    }

    static void requireRoot() throws Exception {
        assertTrue(isRoot(), "this test builds network namespaces and needs root (CI runs as root)");
    }
}
