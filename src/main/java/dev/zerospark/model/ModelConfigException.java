package dev.zerospark.model;

/** A model config.json is missing a required key, has a bad value, or asks for something unsupported. */
public class ModelConfigException extends IllegalArgumentException {
    private final String key;

    public ModelConfigException(String key, String message) {
        super(message);
        this.key = key;
    }

    /** The offending config key (e.g. {@code "n_embd"}, {@code "rope_parameters.rope_theta"}). */
    public String key() {
        return key;
    }
}
