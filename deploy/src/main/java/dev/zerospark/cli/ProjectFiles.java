package dev.zerospark.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/** Files of the zerospark checkout that commands run (scripts under deploy/), found the same way by every command. */
final class ProjectFiles {
    private ProjectFiles() {}

    /**
     * {@code explicit} when given, else {@code deployRelative} (a path starting with {@code deploy/}) under
     * {@code -Dzerospark.root} (set by bin/zerospark and surefire), else relative to the working directory (repo
     * root or deploy/). Null when none exists.
     */
    static Path locate(Path explicit, String deployRelative) {
        if (explicit != null) {
            return explicit;
        }
        List<Path> candidates = new ArrayList<>();
        String root = System.getProperty("zerospark.root");
        if (root != null) {
            candidates.add(Paths.get(root, deployRelative));
        }
        candidates.add(Paths.get(deployRelative));
        candidates.add(Paths.get(deployRelative.substring("deploy/".length())));
        for (Path p : candidates) {
            if (Files.isRegularFile(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        return null;
    }
}
