package dev.zerospark.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Where tests find the repository and the read-only shared fixtures, whichever module they run from. */
public final class TestPaths {
    private TestPaths() {}

    /** The repository root: surefire sets {@code zerospark.root}; otherwise walk up to the folder holding conf/. */
    public static Path repoRoot() {
        String prop = System.getProperty("zerospark.root");
        if (prop != null && Files.isDirectory(Paths.get(prop, "conf"))) {
            return Paths.get(prop).toAbsolutePath().normalize();
        }
        Path dir = Paths.get("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("conf"))) {
            dir = dir.getParent();
        }
        if (dir == null) throw new IllegalStateException("cannot find the repository root (a folder holding conf/)");
        return dir;
    }

    /** {@code ../shared} beside the checkout (also present in CI). */
    public static Path shared() {
        String prop = System.getProperty("zerospark.shared");
        Path p = prop != null ? Paths.get(prop) : repoRoot().resolve("../shared");
        p = p.toAbsolutePath().normalize();
        if (!Files.isDirectory(p)) throw new IllegalStateException("shared fixtures not found at " + p);
        return p;
    }

    public static Path fixture(String name) {
        return shared().resolve("fixtures/hf").resolve(name);
    }
}
