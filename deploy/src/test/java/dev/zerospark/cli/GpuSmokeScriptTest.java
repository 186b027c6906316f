package dev.zerospark.cli;

import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/gpu/smoke.sh parses, and where it cannot run (no GPU, a driver or libtorch that does not match DJL's
 * CUDA JNI) it stops before running anything, with a message and an exit code of its own. What it does on a GPU
 * is only checked on a GPU: nothing here stands in for one.
 */
class GpuSmokeScriptTest {
    private static final Path SCRIPT = TestPaths.repoRoot().resolve("deploy/gpu/smoke.sh");

    record Run(int code, String output) {}

    private static Run run(Map<String, String> env, String... cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "script did not end: " + out);
        return new Run(p.exitValue(), out);
    }

    /** An nvidia-smi that lists one GPU whose driver supports CUDA {@code cuda}: what the script reads of it. */
    private static Path nvidiaSmi(Path dir, String cuda) throws IOException {
        Path exe = dir.resolve("nvidia-smi");
        Files.writeString(exe, "#!/usr/bin/env bash\n"
                + "if [[ \"${1:-}\" == --query-gpu=* ]]; then echo '0, Test GPU, 570.00, 81559 MiB'; exit 0; fi\n"
                + "echo '| NVIDIA-SMI 570.00   Driver Version: 570.00   CUDA Version: " + cuda + " |'\n");
        Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
        return exe;
    }

    @Test
    void theScriptParses() throws Exception {
        Run r = run(Map.of(), "bash", "-n", SCRIPT.toString());
        assertEquals(0, r.code(), r.toString());
    }

    @Test
    void withoutAGpuItSaysSoAndExitsThree() throws Exception {
        Run r = run(Map.of("ZEROSPARK_SMOKE_NVIDIA_SMI", "/nonexistent/nvidia-smi"), SCRIPT.toString());
        assertEquals(3, r.code(), r.toString());
        assertTrue(r.output().contains("no NVIDIA GPU here: '/nonexistent/nvidia-smi' not found; nothing was run"), r.toString());
    }

    @Test
    void aDriverOlderThanTheCudaBundleIsAMismatchExitingFour(@TempDir Path dir) throws Exception {
        Run r = run(Map.of("ZEROSPARK_SMOKE_NVIDIA_SMI", nvidiaSmi(dir, "12.2").toString()), SCRIPT.toString());
        assertEquals(4, r.code(), r.toString());
        assertTrue(r.output().contains("native bundle does not match: the driver supports CUDA 12.2, DJL's cu128 JNI needs >= 12.8"),
                r.toString());
    }

    @Test
    void aCpuOnlyLibtorchIsAMismatchExitingFour(@TempDir Path dir) throws Exception {
        Path lib = Files.createDirectories(dir.resolve("lib"));
        Files.writeString(lib.resolve("libtorch.so"), "");
        Run r = run(Map.of("ZEROSPARK_SMOKE_NVIDIA_SMI", nvidiaSmi(dir, "12.8").toString(),
                "PYTORCH_LIBRARY_PATH", lib.toString()), SCRIPT.toString());
        assertEquals(4, r.code(), r.toString());
        assertTrue(r.output().contains("native bundle does not match: " + lib + " (PYTORCH_LIBRARY_PATH) has no libtorch.so"
                + " + libtorch_cuda.so (a CPU-only libtorch?)"), r.toString());
    }

    @Test
    void shellcheckFindsNothingWhereItIsInstalled() throws Exception {
        Run which = run(Map.of(), "bash", "-c", "command -v shellcheck");
        if (which.code() != 0) {
            return; // shellcheck is optional on a build machine; bash -n above always runs
        }
        Run r = run(Map.of(), "shellcheck", SCRIPT.toString());
        assertEquals(0, r.code(), r.toString());
    }
}
