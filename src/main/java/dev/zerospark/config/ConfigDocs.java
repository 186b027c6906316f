package dev.zerospark.config;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every config key with its doc and real default, read from the config records themselves, so a key is declared once
 * (its record component) and the CLI's help, its flag-to-key mapping and any reference page all read it from here.
 * Keys are the dotted snake_case paths {@link ConfigLoader} binds ({@code train.zero.stage}); only leaves are keys,
 * sections ({@code train.zero}) are not.
 */
public final class ConfigDocs {
    /** What a doc says to mark a key the run cannot do without (checked by the command that needs it). */
    public static final String REQUIRED = "(required)";

    /**
     * One key. {@code defaultValue} is what the record's {@code defaults()} holds, null when the key has none (or the
     * default is derived at run time, as {@code train.seq_len} from the table).
     */
    public record Key(String path, String doc, Object defaultValue) {
        /** Whether the doc marks the key required. */
        public boolean required() {
            return doc.contains(REQUIRED);
        }
    }

    private static final PropertyNamingStrategies.SnakeCaseStrategy SNAKE = new PropertyNamingStrategies.SnakeCaseStrategy();
    private static final Map<String, Key> KEYS = Collections.unmodifiableMap(walk(ZeroSparkConfig.class, "",
            new ZeroSparkConfig(null, null, null, null), new LinkedHashMap<>()));

    private ConfigDocs() {
    }

    /** All keys in declaration order. */
    public static Map<String, Key> keys() {
        return KEYS;
    }

    /** The key at {@code path}, or a {@link ConfigException} naming it. */
    public static Key key(String path) {
        Key k = KEYS.get(path);
        if (k == null) throw new ConfigException(path, "unknown config key " + path);
        return k;
    }

    /** Nested records are sections; their defaults are the section values of the parent's defaults (all-null sections). */
    private static Map<String, Key> walk(Class<?> type, String prefix, Object defaults, Map<String, Key> into) {
        for (RecordComponent c : type.getRecordComponents()) {
            String path = prefix + SNAKE.translate(c.getName());
            Object value = read(c, defaults);
            if (c.getType().isRecord()) {
                walk(c.getType(), path + ".", value, into);
                continue;
            }
            // The annotation does not target record components, so Java puts it on the accessor (and field) instead.
            JsonPropertyDescription doc = c.getAccessor().getAnnotation(JsonPropertyDescription.class);
            if (doc == null) throw new IllegalStateException("config key " + path + " (" + type.getName() + "." + c.getName() + ") has no @JsonPropertyDescription");
            into.put(path, new Key(path, doc.value(), value));
        }
        return into;
    }

    private static Object read(RecordComponent c, Object instance) {
        try {
            return c.getAccessor().invoke(instance);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + c.getDeclaringRecord().getName() + "." + c.getName(), e);
        }
    }
}
