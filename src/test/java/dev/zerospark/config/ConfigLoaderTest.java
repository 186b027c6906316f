package dev.zerospark.config;

import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {

    private static Path write(String name, String text) throws IOException {
        Path dir = Files.createTempDirectory("zs-config");
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    @Test
    void unknownNestedKeyIsNamedByItsPath() throws IOException {
        Path f = write("train.yaml", "train:\n  zero:\n    stgae: 2\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f.toString(), Map.of()));
        assertEquals("train.zero.stgae", e.keyPath());
        assertTrue(e.getMessage().contains("train.zero.stgae"), e.getMessage());
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void invalidValueNamesKeyAndValue() throws IOException {
        Path f = write("train.json", "{\"train\": {\"zero\": {\"stage\": 5}}}");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f.toString(), Map.of()));
        assertEquals("train.zero.stage", e.keyPath());
        assertTrue(e.getMessage().contains("train.zero.stage") && e.getMessage().contains("5"), e.getMessage());

        Path g = write("prep.yaml", "prepare:\n  seq_len: -3\n");
        ConfigException e2 = assertThrows(ConfigException.class, () -> ConfigLoader.load(g.toString(), Map.of()));
        assertEquals("prepare.seq_len", e2.keyPath());
        assertTrue(e2.getMessage().contains("-3"), e2.getMessage());

        Path h = write("dedup.yaml", "prepare:\n  dedup:\n    local_max_records: 2000000000\n");
        ConfigException e3 = assertThrows(ConfigException.class, () -> ConfigLoader.load(h.toString(), Map.of()));
        assertEquals("prepare.dedup.local_max_records", e3.keyPath());
        assertTrue(e3.getMessage().contains("2000000000"), e3.getMessage());
    }

    @Test
    void collectiveKeysHaveDefaultsAndAreChecked() throws IOException {
        TrainConfig defaults = ConfigLoader.load(null, Map.of()).train();
        assertEquals(120, defaults.collectiveTimeoutS());
        assertTrue(defaults.frameMac());
        Path f = write("t.yaml", "train:\n  collective_timeout_s: 30\n  frame_mac: false\n");
        TrainConfig set = ConfigLoader.load(f.toString(), Map.of()).train();
        assertEquals(30, set.collectiveTimeoutS());
        assertFalse(set.frameMac());
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(null, Map.of("train.collective_timeout_s", 0)));
        assertEquals("train.collective_timeout_s", e.keyPath());
    }

    @Test
    void wrongTypeNamesKey() throws IOException {
        Path f = write("t.yaml", "train:\n  steps: many\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f.toString(), Map.of()));
        assertEquals("train.steps", e.keyPath());
    }

    @Test
    void flagsOverrideFileValuesAndDefaultsFillTheRest() throws IOException {
        Path f = write("p.yaml", "prepare:\n  seq_len: 128\n  format: csv\n");
        ZeroSparkConfig fromFile = ConfigLoader.load(f.toString(), Map.of());
        assertEquals(128, fromFile.prepare().seqLen());
        assertEquals("csv", fromFile.prepare().format());

        java.util.HashMap<String, Object> flags = new java.util.HashMap<>();
        flags.put("prepare.seq_len", 64);
        flags.put("prepare.format", null); // flag not given: the file's value stays
        ZeroSparkConfig withFlags = ConfigLoader.load(f.toString(), flags);
        assertEquals(64, withFlags.prepare().seqLen());
        assertEquals("csv", withFlags.prepare().format());
        assertEquals(2, withFlags.train().zero().stage());
    }

    @Test
    void everyExampleInConfLoads() throws IOException {
        Path conf = TestPaths.repoRoot().resolve("conf");
        List<Path> files;
        try (Stream<Path> s = Files.list(conf)) {
            files = s.filter(p -> p.toString().matches(".*\\.(ya?ml|json)$"))
                    .filter(p -> !p.getFileName().toString().startsWith("ds_config"))
                    .sorted().toList();
        }
        assertFalse(files.isEmpty(), "conf/ has no example configs");
        for (Path p : files) {
            ZeroSparkConfig c = ConfigLoader.load(p.toString(), Map.of());
            assertTrue(c.prepare() != null && c.train() != null && c.generate() != null, p.toString());
        }
    }
}
