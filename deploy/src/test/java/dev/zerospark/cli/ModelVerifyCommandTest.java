package dev.zerospark.cli;

import dev.zerospark.safetensors.SafetensorsFile;
import dev.zerospark.safetensors.SafetensorsWriter;
import dev.zerospark.safetensors.WritableTensor;
import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code zerospark model verify}: exit 0 only when logits and every greedy output match the reference. */
class ModelVerifyCommandTest {
    private static final Pattern ABS = Pattern.compile("max abs error ([0-9.eE+-]+)");

    private static Path ref(Path dir) {
        return dir.resolve("reference_outputs.safetensors");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-llama"})
    void fixtureModelsPass(String name) {
        Path dir = TestPaths.fixture(name);
        CliRun r = CliRun.of("model", "verify", "--model", dir.toString(), "--reference", ref(dir).toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("greedy: PASS"), r.toString());
        assertTrue(r.out().contains("padded greedy: PASS"), r.toString());
        assertTrue(r.out().contains("verify: PASS"), r.toString());
        assertTrue(maxAbs(r) <= 1e-4, r.toString());
    }

    /** A BF16 export of the same weights is a lossy conversion: the command must notice and exit 1. */
    @Test
    void bf16CopyFailsTheDefaultTolerance(@TempDir Path tmp) throws Exception {
        Path src = TestPaths.fixture("tiny-gpt2");
        copyModelDir(src, tmp);
        List<WritableTensor> bf16 = new ArrayList<>();
        try (SafetensorsFile f = SafetensorsFile.open(src.resolve("model.safetensors"))) {
            for (String n : f.names()) {
                bf16.add(WritableTensor.bf16(n, f.info(n).shape(), f.readFloats(n)));
            }
        }
        SafetensorsWriter.write(tmp.resolve("model.safetensors"), bf16, Map.of("format", "pt"));

        CliRun strict = CliRun.of("model", "verify", "--model", tmp.toString(), "--reference", ref(src).toString());
        assertEquals(1, strict.code(), strict.toString());
        assertTrue(strict.out().contains("verify: FAIL"), strict.toString());
        double err = maxAbs(strict);
        assertTrue(err > 1e-4, strict.toString());

        // The same files pass once the tolerance admits the measured error: the exit code follows the numbers.
        CliRun loose = CliRun.of("model", "verify", "--model", tmp.toString(), "--reference", ref(src).toString(),
                "--tolerance", "1");
        assertTrue(loose.out().contains("logits: max abs error"), loose.toString());
        assertTrue(loose.out().contains("PASS (") || loose.out().contains(") PASS"), loose.toString());
    }

    @Test
    void wrongModelForReferenceExitsOneWithoutCrashing() {
        Path gpt2 = TestPaths.fixture("tiny-gpt2");
        Path llama = TestPaths.fixture("tiny-llama");
        CliRun r = CliRun.of("model", "verify", "--model", gpt2.toString(), "--reference", ref(llama).toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("verify: FAIL") || r.err().contains("failed"), r.toString());
    }

    @Test
    void missingReferenceExitsTwoAndNamesThePath(@TempDir Path tmp) {
        Path dir = TestPaths.fixture("tiny-gpt2");
        Path missing = tmp.resolve("nope.safetensors");
        CliRun r = CliRun.of("model", "verify", "--model", dir.toString(), "--reference", missing.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains(missing.toString()), r.toString());
    }

    @Test
    void missingModelDirExitsTwoAndNamesThePath(@TempDir Path tmp) {
        Path dir = TestPaths.fixture("tiny-gpt2");
        Path missing = tmp.resolve("no-model");
        CliRun r = CliRun.of("model", "verify", "--model", missing.toString(), "--reference", ref(dir).toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains(missing.toString()), r.toString());
    }

    @Test
    void referenceIsRequired() {
        CliRun r = CliRun.of("model", "verify", "--model", TestPaths.fixture("tiny-gpt2").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--reference"), r.toString());
    }

    private static double maxAbs(CliRun r) {
        Matcher m = ABS.matcher(r.out());
        assertTrue(m.find(), r.toString());
        return Double.parseDouble(m.group(1));
    }

    private static void copyModelDir(Path src, Path dst) throws Exception {
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String n = f.getFileName().toString();
                if (n.endsWith(".json")) {
                    Files.copy(f, dst.resolve(n));
                }
            }
        }
    }
}
