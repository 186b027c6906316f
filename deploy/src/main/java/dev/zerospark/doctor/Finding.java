package dev.zerospark.doctor;

import java.util.Locale;

/** One check's verdict: the setting (or environment variable, or location) it is about, and what to do. */
public record Finding(Status status, String setting, String message) {
    public enum Status { PASS, WARN, FAIL }

    public static Finding pass(String setting, String message) {
        return new Finding(Status.PASS, setting, message);
    }

    public static Finding warn(String setting, String message) {
        return new Finding(Status.WARN, setting, message);
    }

    public static Finding fail(String setting, String message) {
        return new Finding(Status.FAIL, setting, message);
    }

    /** The line {@code zerospark doctor} prints: {@code fail  spark.dynamicAllocation.enabled: ...}. */
    public String line() {
        return String.format(Locale.ROOT, "%-4s  %s: %s", status.name().toLowerCase(Locale.ROOT), setting, message);
    }
}
