package dev.zerospark.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** The benches' scratch directories on local disk. */
final class TempDirs {
    private TempDirs() {}

    /** Deletes {@code p} and everything under it; nothing when it does not exist. */
    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var walk = Files.walk(p)) {
            for (Path q : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) Files.delete(q);
        }
    }
}
