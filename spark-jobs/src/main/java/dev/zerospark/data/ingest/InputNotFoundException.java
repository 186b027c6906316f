package dev.zerospark.data.ingest;

/** The prepare input (a path, glob or URI) names no readable file. */
public final class InputNotFoundException extends RuntimeException {
    private InputNotFoundException(String message) {
        super(message);
    }

    static InputNotFoundException noMatch(String input) {
        return new InputNotFoundException("prepare input " + input + " does not exist or matches no path");
    }

    static InputNotFoundException noFiles(String input, String format) {
        return new InputNotFoundException("prepare input " + input + " holds no " + format + " files (hidden files, named _* or .*, are skipped)");
    }
}
