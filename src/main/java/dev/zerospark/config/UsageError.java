package dev.zerospark.config;

/**
 * Marks a failure caused by what the user asked for (a path that is not what it should be, data that does not fit
 * the model, a prompt that does not fit the context) rather than by the run: the CLI exits 2 for it, as for a
 * {@link ConfigException}, with its message on one line.
 */
public interface UsageError {}
