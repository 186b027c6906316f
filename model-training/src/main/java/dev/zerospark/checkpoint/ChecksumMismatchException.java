package dev.zerospark.checkpoint;

/** A stored shard's sha256 differs from the one its manifest recorded. */
public final class ChecksumMismatchException extends CheckpointException {
    private final String file;

    public ChecksumMismatchException(String file, String expected, String actual) {
        super("checksum mismatch for " + file + ": manifest says sha256 " + expected + ", file has " + actual);
        this.file = file;
    }

    public String file() {
        return file;
    }
}
