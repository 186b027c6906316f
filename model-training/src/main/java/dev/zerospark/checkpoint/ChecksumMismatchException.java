package dev.zerospark.checkpoint;

/** A stored file's sha256 (whole, or of one chunk) differs from the one its manifest recorded. */
public final class ChecksumMismatchException extends CheckpointException {
    private final String file;

    public ChecksumMismatchException(String file, String expected, String actual) {
        super("checksum mismatch for " + file + ": manifest says sha256 " + expected + ", file has " + actual);
        this.file = file;
    }

    /** A mismatch in one chunk of {@code file}; {@code where} says which chunk and bytes. */
    public ChecksumMismatchException(String file, String where, String expected, String actual) {
        super("checksum mismatch for " + file + " in " + where + ": manifest says sha256 " + expected + ", file has "
                + actual + "; the checkpoint step is damaged: resume from an earlier step (delete this step directory)");
        this.file = file;
    }

    /** The URI of the damaged file (it names the step directory). */
    public String file() {
        return file;
    }
}
