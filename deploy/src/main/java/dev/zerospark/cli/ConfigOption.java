package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zerospark.config.ConfigDocs;
import dev.zerospark.config.ConfigException;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.ZeroSparkConfig;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

import java.util.HashMap;
import java.util.Map;

/**
 * {@code --config FILE}: a YAML/JSON document whose values the command's flags override. A flag that sets a config
 * key names it once, as its {@code descriptionKey}: that pairs the flag with the key here and gives it the key's doc
 * and default as help text ({@link ConfigHelp}).
 */
public final class ConfigOption {
    /** picocli's own description keys (-h, -V) are not config keys. */
    private static final String PICOCLI_KEYS = "mixinStandardHelpOptions.";

    @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON config; flags override its values (optional).")
    String file;

    /** Loads the file (if any) with the given flag values laid over it; null flag values mean "not given". */
    public ZeroSparkConfig load(Map<String, ?> flagOverrides) {
        return ConfigLoader.load(file, flagOverrides);
    }

    /** Loads the file (if any) with the command's config-key flags ({@link #flags}) laid over it. */
    public ZeroSparkConfig load(CommandSpec spec) {
        return load(flags(spec));
    }

    /** Config key → value of each of the command's options that names a key; null (a boxed option not given) is kept. */
    static Map<String, Object> flags(CommandSpec spec) {
        Map<String, Object> o = new HashMap<>();
        for (OptionSpec opt : spec.options()) {
            String key = configKey(opt);
            if (key != null) o.put(key, opt.getValue());
        }
        return o;
    }

    /**
     * Fails naming the first key of {@code section} whose doc marks it required ({@link ConfigDocs#REQUIRED}) and
     * that neither the file nor a flag set, with the flag that sets it when the command has one.
     */
    static void requireSet(CommandSpec spec, ZeroSparkConfig config, String section) {
        JsonNode tree = ConfigLoader.jsonMapper().valueToTree(config);
        for (ConfigDocs.Key k : ConfigDocs.keys().values()) {
            if (!k.required() || !k.path().startsWith(section + ".")) continue;
            JsonNode v = tree.at("/" + k.path().replace('.', '/'));
            if (!v.isMissingNode() && !v.isNull()) continue;
            String flag = spec.options().stream().filter(o -> k.path().equals(o.descriptionKey())).map(OptionSpec::longestName)
                    .findFirst().map(f -> f + " or ").orElse("");
            throw new ConfigException(k.path(), k.path() + " is required (" + flag + "the config file)");
        }
    }

    /** The config key an option sets, or null when it sets none; a descriptionKey that is no config key is an error. */
    static String configKey(OptionSpec opt) {
        String key = opt.descriptionKey();
        if (key == null || key.isEmpty() || key.startsWith(PICOCLI_KEYS)) return null;
        return ConfigDocs.key(key).path();
    }
}
