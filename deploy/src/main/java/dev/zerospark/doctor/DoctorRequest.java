package dev.zerospark.doctor;

import java.util.Map;

/**
 * What {@link Doctor} checks: the command the cluster is for, its number of ranks, the locations it will write
 * (setting name, such as {@code train.checkpoint_dir}, to URI; in check order) and the process environment, where
 * credentials may come from.
 */
public record DoctorRequest(Target target, int worldSize, Map<String, String> locations, Map<String, String> env) {
    public DoctorRequest {
        if (worldSize < 1) throw new IllegalArgumentException("world size must be >= 1, got " + worldSize);
        locations = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(locations));
        env = Map.copyOf(env);
    }
}
