package dev.zerospark.registry;

import dev.zerospark.config.UsageError;

/** A version that the registry does not hold (absent, or incomplete: no metrics.json). */
public final class VersionNotFoundException extends RuntimeException implements UsageError {
    public VersionNotFoundException(String registryUri, int version, java.util.List<Integer> have) {
        super("registry " + registryUri + " has no complete version v" + version + " (versions: "
                + (have.isEmpty() ? "none" : have.stream().map(v -> "v" + v).toList()) + ")");
    }
}
