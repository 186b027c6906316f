package dev.zerospark.config;

/**
 * Validation helpers for config records' compact constructors. Each throws {@link IllegalArgumentException}
 * naming the key; {@link ConfigLoader} adds the section path in front of it.
 */
public final class Check {
    private Check() {}

    /** A record rejected one of its own keys; {@link ConfigLoader} prefixes the section path. */
    public static final class InvalidValue extends IllegalArgumentException {
        private final String key;

        public InvalidValue(String key, String message) {
            super(message);
            this.key = key;
        }

        public String key() {
            return key;
        }
    }

    public static InvalidValue invalid(String key, String message) {
        return new InvalidValue(key, key + " " + message);
    }

    public static <T> T or(T value, T fallback) {
        return value == null ? fallback : value;
    }

    public static int positive(String key, int value) {
        if (value <= 0) throw new InvalidValue(key, key + " must be > 0, got " + value);
        return value;
    }

    public static int nonNegative(String key, int value) {
        if (value < 0) throw new InvalidValue(key, key + " must be >= 0, got " + value);
        return value;
    }

    public static double positive(String key, double value) {
        if (!(value > 0)) throw new InvalidValue(key, key + " must be > 0, got " + value);
        return value;
    }

    public static double inRange(String key, double value, double lo, double hi) {
        if (!(value >= lo && value <= hi)) {
            throw new InvalidValue(key, key + " must be in [" + lo + ", " + hi + "], got " + value);
        }
        return value;
    }

    public static int oneOf(String key, int value, int... allowed) {
        for (int a : allowed) if (a == value) return value;
        throw new InvalidValue(key, key + " must be one of " + java.util.Arrays.toString(allowed) + ", got " + value);
    }

    public static String oneOf(String key, String value, String... allowed) {
        for (String a : allowed) if (a.equals(value)) return value;
        throw new InvalidValue(key, key + " must be one of " + String.join("|", allowed) + ", got '" + value + "'");
    }
}
