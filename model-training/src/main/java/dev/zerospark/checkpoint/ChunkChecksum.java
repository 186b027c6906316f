package dev.zerospark.checkpoint;

import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/**
 * The checksum a chunked file entry's chunks are verified with on read, chosen by what its manifest recorded
 * ({@link Manifest.FileEntry}): CRC32C for new checkpoints, sha256 for those written before.
 */
enum ChunkChecksum {
    /**
     * Hardware-accelerated in the JDK (many GB/s a core, against sha256's ~1.2 GB/s here), so it is computed on the
     * reading thread as each chunk arrives: no hand-off, one chunk buffer per read.
     */
    CRC32C("crc32c") {
        @Override
        String of(byte[] b, int off, int len) {
            return crc32c(b, off, len);
        }

        @Override
        List<String> expected(Manifest.FileEntry e) {
            return e.chunkCrc32c();
        }

        @Override
        Future<String> start(byte[] b, int off, int len) {
            return CompletableFuture.completedFuture(of(b, off, len));
        }

        @Override
        int depth() {
            return 1;
        }
    },
    /** Older manifests: hashed on the hashing threads, so the next chunk is read while earlier ones hash. */
    SHA256("sha256") {
        @Override
        String of(byte[] b, int off, int len) {
            return HexFormat.of().formatHex(Hashing.sha256(b, off, len));
        }

        @Override
        List<String> expected(Manifest.FileEntry e) {
            return e.chunks();
        }

        @Override
        Future<String> start(byte[] b, int off, int len) {
            return Hashing.submit(() -> of(b, off, len));
        }

        @Override
        int depth() {
            return Hashing.DEPTH;
        }
    };

    /** The algorithm's name, as error messages give it. */
    final String algorithm;

    ChunkChecksum(String algorithm) {
        this.algorithm = algorithm;
    }

    /** The checksum of {@code b[off, off + len)}, in the form the manifest records it. */
    abstract String of(byte[] b, int off, int len);

    /** The entry's recorded checksums, one per chunk. */
    abstract List<String> expected(Manifest.FileEntry e);

    /** Starts checksumming {@code b[off, off + len)}; {@code b} must not change until the result is in. */
    abstract Future<String> start(byte[] b, int off, int len);

    /** Chunks a streamed read keeps in flight (each a chunk buffer) to overlap checksumming with reading. */
    abstract int depth();

    /** What a chunked entry's chunks are verified with (it records one list or the other; checked by the manifest checks). */
    static ChunkChecksum of(Manifest.FileEntry e) {
        return e.chunkCrc32c() != null ? CRC32C : SHA256;
    }

    /** The CRC32C of {@code b}'s remaining bytes (consumed) as 8 hex digits. */
    static String crc32c(java.nio.ByteBuffer b) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b);
        return HexFormat.of().toHexDigits((int) crc.getValue());
    }

    /** The CRC32C of {@code b[off, off + len)} as 8 hex digits (what {@code chunk_crc32c} records). */
    static String crc32c(byte[] b, int off, int len) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b, off, len);
        return HexFormat.of().toHexDigits((int) crc.getValue());
    }
}
