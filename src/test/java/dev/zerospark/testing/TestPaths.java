package dev.zerospark.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Where tests find the repository and the fixtures it ships ({@code src/test/resources}), whichever module they run
 * from. Nothing here reads outside the checkout: a fresh clone has every file its tests need.
 */
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

    /** The test data kept in the project: HF fixtures, tokenizer and ROUGE references, the Reuters sample. */
    public static Path testData() {
        Path p = repoRoot().resolve("src/test/resources");
        if (!Files.isDirectory(p.resolve("fixtures"))) throw new IllegalStateException("test fixtures not found at " + p);
        return p;
    }

    /** An HF fixture directory ({@code tiny-gpt2}, {@code tiny-llama}, {@code tokenizer-bytelevel-bpe-1024}). */
    public static Path fixture(String name) {
        return testData().resolve("fixtures/hf").resolve(name);
    }
}
