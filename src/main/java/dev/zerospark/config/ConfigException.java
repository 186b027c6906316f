package dev.zerospark.config;

/** A configuration file or flag is wrong. The message names the key path (e.g. {@code train.zero.stgae}) and the bad value. */
public final class ConfigException extends RuntimeException {
    private final String keyPath;

    public ConfigException(String keyPath, String message, Throwable cause) {
        super(message, cause);
        this.keyPath = keyPath;
    }

    public ConfigException(String keyPath, String message) {
        this(keyPath, message, null);
    }

    /** The dotted path of the offending key, or an empty string when the whole document is wrong. */
    public String keyPath() {
        return keyPath;
    }

    static ConfigException unknownKey(String path, String source) {
        return new ConfigException(path, "unknown configuration key '" + path + "' in " + source);
    }

    static ConfigException invalidValue(String path, String source, String detail, Throwable cause) {
        String where = path.isEmpty() ? source : "'" + path + "' in " + source;
        return new ConfigException(path, "invalid value for " + where + ": " + detail, cause);
    }

    static ConfigException unreadable(String source, Throwable cause) {
        return new ConfigException("", "cannot read configuration " + source + ": " + cause.getMessage(), cause);
    }
}
