package dev.zerospark.checkpoint;

import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What a checkpoint file is written through: passes bytes straight on to the store's stream and hashes them on the
 * way, one sha256 per chunk, so nothing is staged locally or read back to checksum it. A writer calls
 * {@link #endChunk()} where a reader will want to start reading (a header's end, a tensor's start), so reading one
 * tensor's range never needs the bytes before it.
 */
public final class ChunkedOutputStream extends OutputStream {
    private final OutputStream out;
    private final int chunkBytes;
    private final MessageDigest chunk = CheckpointStore.sha256();
    private final MessageDigest root = CheckpointStore.sha256();
    private final List<String> chunks = new ArrayList<>();
    private final List<Long> cuts = new ArrayList<>();
    private long position;
    private int inChunk;

    ChunkedOutputStream(OutputStream out, int chunkBytes) {
        if (chunkBytes < 1) throw new IllegalArgumentException("checkpoint chunk size must be >= 1 byte, got " + chunkBytes);
        this.out = out;
        this.chunkBytes = chunkBytes;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        while (len > 0) {
            int n = Math.min(len, chunkBytes - inChunk);
            chunk.update(b, off, n);
            inChunk += n;
            position += n;
            off += n;
            len -= n;
            if (inChunk == chunkBytes) finishChunk();
        }
    }

    /** Ends the current chunk here (a no-op at a chunk boundary): the next byte starts a new one. */
    public void endChunk() {
        if (inChunk == 0) return;
        finishChunk();
        cuts.add(position);
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    /** Closes nothing: the store owns the underlying stream. */
    @Override
    public void close() {}

    /** The manifest entry for everything written, ending the last chunk. */
    Manifest.FileEntry entry() {
        if (inChunk > 0) finishChunk();
        return new Manifest.FileEntry(HexFormat.of().formatHex(root.digest()), position, chunkBytes, cuts, chunks);
    }

    private void finishChunk() {
        byte[] digest = chunk.digest();
        root.update(digest);
        chunks.add(HexFormat.of().formatHex(digest));
        inChunk = 0;
    }
}
