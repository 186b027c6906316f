package dev.zerospark.checkpoint;

import org.apache.hadoop.fs.ChecksumFileSystem;

/**
 * {@link CountingLocalFileSystem} under Hadoop's checksummed local filesystem, as {@code file://} is: writes leave a
 * {@code .crc} side file beside each file and reads through it open and check that side file too. Registered for
 * {@code countfs://} in place of the bare counting filesystem, so the counts show what a checksummed store costs.
 */
public final class CountingChecksumFileSystem extends ChecksumFileSystem {
    public CountingChecksumFileSystem() {
        super(new CountingLocalFileSystem());
    }

    @Override
    public String getScheme() {
        return "countfs";
    }
}
