package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/yarn/gpu-discovery.sh prints Spark's resource discovery JSON from what {@code nvidia-smi} reports: a fake
 * nvidia-smi first on PATH stands in for the driver.
 */
class GpuDiscoveryScriptTest {

    record Run(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    @Test
    void listsEveryIndexNvidiaSmiReports(@TempDir Path dir) throws Exception {
        for (int gpus : new int[] {0, 1, 4}) {
            StringBuilder lines = new StringBuilder();
            for (int i = 0; i < gpus; i++) lines.append(i).append('\n');
            Run r = discover(fakeSmi(dir.resolve("n" + gpus), lines.toString(), 0), Map.of());
            assertEquals(0, r.code(), r.toString());
            JsonNode j = new ObjectMapper().readTree(r.out());
            assertEquals("gpu", j.path("name").asText(), r.out());
            List<String> addresses = new ArrayList<>();
            j.path("addresses").forEach(a -> {
                assertTrue(a.isTextual(), "Spark wants addresses as strings: " + r.out());
                addresses.add(a.asText());
            });
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < gpus; i++) expected.add(String.valueOf(i));
            assertEquals(expected, addresses, r.out());
            assertEquals("", r.err(), r.toString());
        }
    }

    @Test
    void aFailingNvidiaSmiExitsNonZeroWithOneLineSayingSo(@TempDir Path dir) throws Exception {
        Path bin = fakeSmi(dir, "No devices were found\n", 6);
        Run r = discover(bin, Map.of());
        assertNotEquals(0, r.code(), r.toString());
        assertEquals("", r.out(), "nothing Spark could take for a GPU list: " + r);
        assertEquals(1, r.err().strip().lines().count(), r.toString());
        assertTrue(r.err().contains("nvidia-smi --query-gpu=index --format=csv,noheader' failed")
                && r.err().contains("No devices were found"), r.toString());
    }

    @Test
    void aMissingNvidiaSmiOrAnIndexThatIsNoNumberIsAnError(@TempDir Path dir) throws Exception {
        Run missing = discover(Files.createDirectories(dir.resolve("empty")), Map.of("NVIDIA_SMI", "nvidia-smi-not-installed"));
        assertNotEquals(0, missing.code(), missing.toString());
        assertTrue(missing.err().contains("'nvidia-smi-not-installed' not found on PATH"), missing.toString());

        Run garbage = discover(fakeSmi(dir.resolve("g"), "0\nGPU-1f2e\n", 0), Map.of());
        assertNotEquals(0, garbage.code(), garbage.toString());
        assertTrue(garbage.err().contains("printed 'GPU-1f2e', not a GPU index"), garbage.toString());
    }

    /** A directory holding an executable nvidia-smi that prints {@code output} and exits with {@code code}. */
    static Path fakeSmi(Path dir, String output, int code) throws Exception {
        Files.createDirectories(dir);
        Path smi = dir.resolve("nvidia-smi");
        Files.writeString(smi, "#!/bin/sh\n"
                + "[ \"$1 $2 $3\" = \"--query-gpu=index --format=csv,noheader \" ] || { echo \"unexpected args: $*\" >&2; exit 99; }\n"
                + "printf '" + output.replace("\n", "\\n") + "'\nexit " + code + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    /** Runs the script with {@code binFirst} first on PATH. */
    static Run discover(Path binFirst, Map<String, String> env) throws Exception {
        Path script = TestPaths.repoRoot().resolve("deploy/yarn/gpu-discovery.sh");
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString());
        pb.environment().put("PATH", binFirst + ":" + System.getenv("PATH"));
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "gpu-discovery.sh did not finish");
        return new Run(p.exitValue(), out, err);
    }
}
