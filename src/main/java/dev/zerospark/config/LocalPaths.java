package dev.zerospark.config;

import java.net.URI;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * A local location as users write it: a plain path or a {@code file:} URI ({@code file:///x}, {@code file:/x}).
 * {@code Paths.get("file:///x")} would quietly make the relative path {@code ./file:/x}; this is the one place
 * that tells them apart.
 */
public final class LocalPaths {
    private LocalPaths() {}

    public static Path of(String location) {
        if (location.startsWith("file:")) {
            try {
                return Paths.get(URI.create(location));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("", "not a usable file: URI: " + location + " (" + e.getMessage() + ")", e);
            }
        }
        return Paths.get(location);
    }
}
