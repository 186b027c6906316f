package dev.zerospark.model;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shared read-only fixtures (system property {@code zerospark.shared}, else ../shared). */
public final class TestFixtures {
    private TestFixtures() {}

    public static Path shared() {
        String prop = System.getProperty("zerospark.shared");
        if (prop != null && Files.isDirectory(Path.of(prop))) {
            return Path.of(prop);
        }
        for (Path p : new Path[] {Path.of("../shared"), Path.of("../../shared"), Path.of("/work/shared")}) {
            if (Files.isDirectory(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("shared fixtures not found; set -Dzerospark.shared");
    }

    public static Path hf(String name) {
        return shared().resolve("fixtures/hf").resolve(name);
    }
}
