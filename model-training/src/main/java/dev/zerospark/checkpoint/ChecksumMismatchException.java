package dev.zerospark.checkpoint;

/**
 * A stored file's checksum (of one chunk, or of the whole file) differs from the one its manifest recorded: a
 * corrupt checkpoint, named by its step, file key, file URI, the chunk and bytes, and the algorithm.
 */
public final class ChecksumMismatchException extends CorruptCheckpointException {
    private final String file;

    /**
     * @param where which part of the file failed: a chunk and its bytes, or the whole file
     * @param algorithm what the manifest recorded for it ({@code crc32c}, {@code sha256})
     */
    public ChecksumMismatchException(String stepUri, String key, String where, String algorithm, String expected, String actual) {
        super(stepUri, key, "(" + stepUri + "/" + key + ") checksum mismatch in " + where
                + ": manifest says " + algorithm + " " + expected + ", file has " + actual
                + "; the checkpoint step is damaged: resume from an earlier step (delete this step directory)");
        this.file = stepUri + "/" + key;
    }

    /** The URI of the damaged file (it names the step directory). */
    public String file() {
        return file;
    }
}
