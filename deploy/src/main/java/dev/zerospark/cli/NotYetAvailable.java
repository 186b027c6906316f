package dev.zerospark.cli;

/** Thrown by commands whose engine is not part of this build yet; the CLI reports it as a failure (exit 1). */
final class NotYetAvailable extends RuntimeException {
    NotYetAvailable(String command) {
        super("'" + command + "' is not available in this build yet");
    }
}
