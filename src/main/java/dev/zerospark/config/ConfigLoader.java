package dev.zerospark.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Binds JSON or YAML documents to immutable config records. Keys are snake_case; an unknown key is an error
 * naming its full dotted path; values are validated by the records themselves and the error names the key.
 * CLI flags are applied as dotted-path overrides on the document before binding, so they win over the file.
 */
public final class ConfigLoader {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigLoader.class);
    private static final ObjectMapper JSON = configure(new ObjectMapper());
    private static final ObjectMapper YAML = configure(new ObjectMapper(new YAMLFactory()));

    private ConfigLoader() {}

    private static ObjectMapper configure(ObjectMapper mapper) {
        return mapper.setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
    }

    /** The mapper used for config, exposed so writers (manifests, resolved configs) produce the same key style. */
    public static ObjectMapper jsonMapper() {
        return JSON;
    }

    /** Parses a document; YAML unless the source name ends in .json. */
    public static ObjectNode parse(InputStream in, String sourceName) {
        ObjectMapper mapper = sourceName.endsWith(".json") ? JSON : YAML;
        try {
            JsonNode node = mapper.readTree(in);
            if (node == null || node.isMissingNode() || node.isNull()) {
                return JsonNodeFactory.instance.objectNode();
            }
            if (!node.isObject()) {
                throw new ConfigException("", "configuration " + sourceName + " must be a mapping at the top level");
            }
            return (ObjectNode) node;
        } catch (IOException e) {
            throw ConfigException.unreadable(sourceName, e);
        }
    }

    /** Sets {@code a.b.c = value} in the tree, creating sections as needed. Null values are ignored (flag not given). */
    public static ObjectNode override(ObjectNode root, Map<String, ?> overrides) {
        for (Map.Entry<String, ?> e : overrides.entrySet()) {
            if (e.getValue() == null) continue;
            String[] parts = e.getKey().split("\\.");
            ObjectNode node = root;
            for (int i = 0; i < parts.length - 1; i++) {
                JsonNode child = node.get(parts[i]);
                if (!(child instanceof ObjectNode)) {
                    child = node.putObject(parts[i]);
                }
                node = (ObjectNode) child;
            }
            node.set(parts[parts.length - 1], JSON.valueToTree(e.getValue()));
        }
        return root;
    }

    /** Binds a tree to {@code type}, translating Jackson's errors into {@link ConfigException}s that name the key. */
    public static <T> T bind(ObjectNode tree, Class<T> type, String sourceName) {
        try {
            return JSON.treeToValue(tree, type);
        } catch (UnrecognizedPropertyException e) {
            throw ConfigException.unknownKey(path(e), sourceName);
        } catch (JsonMappingException e) {
            Throwable root = rootCause(e);
            String path = path(e);
            if (root instanceof Check.InvalidValue bad) {
                String full = path.isEmpty() ? bad.key() : path + "." + bad.key();
                String detail = bad.getMessage().startsWith(bad.key())
                        ? full + bad.getMessage().substring(bad.key().length()) : bad.getMessage();
                throw ConfigException.invalidValue(full, sourceName, detail, e);
            }
            String detail = root instanceof IllegalArgumentException ? root.getMessage() : e.getOriginalMessage();
            throw ConfigException.invalidValue(path, sourceName, detail, e);
        } catch (JsonProcessingException e) {
            throw ConfigException.unreadable(sourceName, e);
        }
    }

    /** Reads a whole {@link ZeroSparkConfig} from a file (or none) plus flag overrides. */
    public static ZeroSparkConfig load(String location, Map<String, ?> overrides) {
        ObjectNode tree;
        String source;
        if (location == null) {
            tree = JsonNodeFactory.instance.objectNode();
            source = "<flags>";
        } else {
            source = location;
            try (InputStream in = ConfigSources.open(location)) {
                tree = parse(in, location);
            } catch (IOException e) {
                throw ConfigException.unreadable(location, e);
            }
        }
        override(tree, overrides);
        applyDeepSpeed(tree, location);
        return bind(tree, ZeroSparkConfig.class, source);
    }

    /**
     * If {@code train.deepspeed_config} names a ds_config.json, fills the {@code train} keys it maps to, except
     * those already set by the config file or flags.
     */
    private static void applyDeepSpeed(ObjectNode tree, String configFile) {
        JsonNode train = tree.get("train");
        if (train == null || !train.hasNonNull("deepspeed_config")) return;
        String location = ConfigSources.resolveAgainst(configFile, train.get("deepspeed_config").asText());
        int worldSize = train.hasNonNull("world_size") ? train.get("world_size").asInt() : 1;
        DeepSpeedConfig deepSpeed = DeepSpeedConfig.read(location);
        Map<String, Object> ds = deepSpeed.toTrainOverrides(worldSize, location);
        deepSpeed.ignoredSettings(location).forEach(LOG::warn);
        java.util.Map<String, Object> missing = new java.util.LinkedHashMap<>();
        ds.forEach((key, value) -> {
            if (value != null && tree.at("/" + key.replace('.', '/')).isMissingNode()) missing.put(key, value);
        });
        override(tree, missing);
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining("."))
                .replace(".[", "[");
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t;
    }
}
