package dev.zerospark.config;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Paths;

/** Opens config documents named by a local path or a {@code file:} URI. Remote configs go through Hadoop in the Spark modules. */
final class ConfigSources {
    private ConfigSources() {}

    static InputStream open(String location) throws IOException {
        if (location.startsWith("file:")) {
            return Files.newInputStream(Paths.get(URI.create(location)));
        }
        if (location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
            throw new IOException("config location " + location + " has an unsupported scheme; copy it locally or use file:");
        }
        return Files.newInputStream(Paths.get(location));
    }

    /** A relative local path named inside a config file is relative to that file's folder. */
    static String resolveAgainst(String configFile, String location) {
        boolean hasScheme = location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*");
        if (configFile == null || hasScheme || Paths.get(location).isAbsolute() || configFile.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
            return location;
        }
        java.nio.file.Path parent = Paths.get(configFile).toAbsolutePath().getParent();
        return parent.resolve(location).normalize().toString();
    }
}
