package dev.zerospark.doctor;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The command a cluster is checked for: what it asks of Spark. */
public enum Target {
    TRAIN(true), GENERATE(false), PIPELINE(true);

    private final boolean barrier;

    Target(boolean barrier) {
        this.barrier = barrier;
    }

    /** Runs Spark barrier stages (train, and the pipeline's train stage): all ranks at once, no dynamic allocation. */
    public boolean barrier() {
        return barrier;
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The target named {@code name} (train, generate, pipeline); an unknown name is an error listing the known ones. */
    public static Target of(String name) {
        for (Target t : values()) {
            if (t.cliName().equals(name)) return t;
        }
        throw new IllegalArgumentException("unknown target '" + name + "' (expected one of "
                + Arrays.stream(values()).map(Target::cliName).collect(Collectors.joining(", ")) + ")");
    }
}
