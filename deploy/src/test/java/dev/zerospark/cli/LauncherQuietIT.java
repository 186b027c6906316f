package dev.zerospark.cli;

import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bin/zerospark} as a user runs it (after {@code package}): quiet by default, one line for a usage error,
 * and {@code --verbose} brings the hidden lines back.
 */
class LauncherQuietIT {
    private record Run(int code, String out, String err) {}

    private static Run launch(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(TestPaths.repoRoot().resolve("deploy/bin/zerospark").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("ZEROSPARK_NO_REBUILD", "1");
        pb.environment().put("ZEROSPARK_JAVA_OPTS", "-Xmx1g");
        Path err = Files.createTempFile(dir, "err", ".txt");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), "launcher did not finish: " + cmd);
        return new Run(p.exitValue(), out, Files.readString(err));
    }

    @Test
    void helpPrintsNothingOnStderrUnlessVerbose(@TempDir Path dir) throws Exception {
        Run quiet = launch(dir, "--help");
        assertEquals(0, quiet.code(), quiet.err());
        assertTrue(quiet.out().contains("Usage: zerospark"), quiet.out());
        assertEquals("", quiet.err(), "stderr of --help");
        Run verbose = launch(dir, "--help", "--verbose");
        assertTrue(verbose.err().contains("Using incubator modules"), "--verbose keeps the JVM's lines: " + verbose.err());
    }

    @Test
    void aUsageErrorAfterSparkStartsIsOneLine(@TempDir Path dir) throws Exception {
        Path plain = Files.createDirectories(dir.resolve("not-a-table"));
        Run r = launch(dir, "table", "show", plain.toString(), "--master", "local[1]");
        assertEquals(2, r.code(), r.err());
        assertEquals(List.of("zerospark: not a Delta table: " + plain + " (no _delta_log)"), r.err().strip().lines().toList(),
                "stderr, Spark's and Hadoop's warnings included");
    }
}
