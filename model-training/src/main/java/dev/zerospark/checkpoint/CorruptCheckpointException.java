package dev.zerospark.checkpoint;

/**
 * A checkpoint step that can't be trusted: its manifest names a file outside the step, lists no files, or records
 * a size or checksum that the stored file doesn't have. The message names the step and the offending key.
 */
public class CorruptCheckpointException extends CheckpointException {
    private final String key;

    CorruptCheckpointException(String stepUri, String key, String problem) {
        super("corrupt checkpoint " + stepUri + ": " + (key == null ? "" : "file key '" + key + "' ") + problem);
        this.key = key == null ? "" : key;
    }

    /** The manifest's file key that failed (empty when the manifest as a whole is wrong). */
    public String key() {
        return key;
    }

    static CorruptCheckpointException unsafeKey(String stepUri, String key) {
        return new CorruptCheckpointException(stepUri, key, "is absolute, contains '..' or resolves outside the step directory");
    }

    static CorruptCheckpointException noFiles(String stepUri) {
        return new CorruptCheckpointException(stepUri, null, "manifest lists no files");
    }

    static CorruptCheckpointException stepMismatch(String stepUri, long recorded) {
        return new CorruptCheckpointException(stepUri, null, "manifest records step " + recorded);
    }

    static CorruptCheckpointException badEntry(String stepUri, String key) {
        return new CorruptCheckpointException(stepUri, key, "has no sha256 or a negative size");
    }

    static CorruptCheckpointException sizeMismatch(String stepUri, String key, long recorded, long actual) {
        return new CorruptCheckpointException(stepUri, key, "manifest says " + recorded + " bytes, file has " + actual);
    }

    static CorruptCheckpointException missingFile(String stepUri, String key) {
        return new CorruptCheckpointException(stepUri, key, "is listed in the manifest but missing from the step directory");
    }

    static CorruptCheckpointException badChunks(String stepUri, String key, String problem) {
        return new CorruptCheckpointException(stepUri, key, problem);
    }

    /** The manifest as a whole is wrong: it does not parse, or a record in it is missing or out of range. */
    static CorruptCheckpointException badManifest(String stepUri, String problem) {
        return new CorruptCheckpointException(stepUri, null, "manifest " + problem);
    }

    static CorruptCheckpointException optimizerStepsMismatch(String stepUri, String key, long shard, long manifest) {
        return new CorruptCheckpointException(stepUri, key, "records " + shard + " optimizer steps, the manifest's "
                + "optimizer_steps " + manifest);
    }

    static CorruptCheckpointException badParam(String stepUri, String param, String problem) {
        return new CorruptCheckpointException(stepUri, null, "manifest layout param '" + param + "' " + problem);
    }
}
