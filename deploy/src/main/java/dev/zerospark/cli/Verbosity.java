package dev.zerospark.cli;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * {@code --verbose}, accepted by every command: brings back what the console config hides (other libraries' INFO
 * lines and the warnings of {@code zerospark-log4j2.properties}' quieted loggers) and full stack traces on failure.
 */
final class Verbosity {
    private static volatile boolean verbose;

    private Verbosity() {}

    static void enable() {
        verbose = true;
        Configurator.setAllLevels(LogManager.ROOT_LOGGER_NAME, Level.INFO);
    }

    static boolean on() {
        return verbose;
    }
}
