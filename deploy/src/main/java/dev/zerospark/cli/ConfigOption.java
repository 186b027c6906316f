package dev.zerospark.cli;

import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.ZeroSparkConfig;
import picocli.CommandLine.Option;

import java.util.Map;

/** {@code --config FILE}: a YAML/JSON document whose values the command's flags override. */
public final class ConfigOption {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON config; flags override its values.")
    String file;

    /** Loads the file (if any) with the given flag values laid over it; null flag values mean "not given". */
    public ZeroSparkConfig load(Map<String, ?> flagOverrides) {
        return ConfigLoader.load(file, flagOverrides);
    }
}
