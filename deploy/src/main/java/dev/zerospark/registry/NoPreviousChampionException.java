package dev.zerospark.registry;

import dev.zerospark.config.UsageError;

/** A rollback with no champion before the current one (or no champion at all). */
public final class NoPreviousChampionException extends RuntimeException implements UsageError {
    public NoPreviousChampionException(String registryUri, Integer current) {
        super("registry " + registryUri + (current == null ? " has no champion to roll back"
                : " has no champion before v" + current + " to roll back to; name one with --to VERSION"));
    }
}
