package dev.zerospark.checkpoint;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * What a checkpoint file is written through: bytes are staged in a chunk-sized buffer and passed on to the store's
 * stream one chunk at a time, while hashing threads hash it ({@link Hashing}), so nothing is staged
 * locally or read back to checksum it and the checksums cost no time on the writing thread. Each chunk gets a
 * CRC32C, what readers verify, and a sha256, from which the file's content id ({@link Manifest.FileEntry#sha256()})
 * is built. A writer calls
 * {@link #endChunk()} where a reader will want to start reading (a header's end, a tensor's start), so reading one
 * tensor's range never needs the bytes before it. fp32 values are converted straight into the chunk buffer
 * ({@link #writeFloats}), so they are copied once on their way to the store.
 */
public final class ChunkedOutputStream extends OutputStream {
    private static final int FIRST_BUFFER_BYTES = 64 << 10;
    private final OutputStream out;
    private final int chunkBytes;
    /** A ring of chunk buffers: one is filled and written while the others' digests are still being computed. */
    private final byte[][] buffers = new byte[Hashing.DEPTH][];
    private final List<Future<Sums>> digests = new ArrayList<>();
    private final List<Long> cuts = new ArrayList<>();
    private byte[] buf;
    private int current;
    /** Bytes of the current chunk staged in {@code buf}, and how many of them {@link #flush} already passed on. */
    private int inChunk;
    private int passed;
    private long position;

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
        while (len > 0) {
            int n = Math.min(len, room());
            System.arraycopy(b, off, buf, inChunk, n);
            advance(n);
            off += n;
            len -= n;
        }
    }

    /** Writes {@code count} fp32 values from {@code src[from..]}, little-endian, converted straight into the chunk buffer. */
    public void writeFloats(float[] src, int from, int count) throws IOException {
        while (count > 0) {
            int n = Math.min(count, room() / 4);
            if (n == 0) { // less than one value's room left in this chunk: go byte by byte across the boundary
                byte[] one = new byte[4];
                ByteBuffer.wrap(one).order(ByteOrder.LITTLE_ENDIAN).putFloat(src[from]);
                write(one, 0, 4);
                n = 1;
            } else {
                ByteBuffer.wrap(buf, inChunk, 4 * n).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(src, from, n);
                advance(4 * n);
            }
            from += n;
            count -= n;
        }
    }

    /** Ends the current chunk here (a no-op at a chunk boundary): the next byte starts a new one. */
    public void endChunk() throws IOException {
        if (inChunk == 0) return;
        finishChunk();
        cuts.add(position);
    }

    /** Passes what is staged on to the store's stream, and flushes it; the chunk stays open for hashing. */
    @Override
    public void flush() throws IOException {
        if (inChunk > passed) {
            out.write(buf, passed, inChunk - passed);
            passed = inChunk;
        }
        out.flush();
    }

    /** Waits for the chunk digests still being computed; closes nothing: the store owns the underlying stream. */
    @Override
    public void close() throws IOException {
        for (Future<Sums> f : digests) join(f);
    }

    /** One chunk's checksums. */
    private record Sums(byte[] sha256, String crc32c) {}

    /** The manifest entry for everything written, ending the last chunk. */
    Manifest.FileEntry entry() throws IOException {
        if (inChunk > 0) finishChunk();
        MessageDigest root = Hashing.digest();
        List<String> crcs = new ArrayList<>(digests.size());
        for (Future<Sums> f : digests) {
            Sums sums = join(f);
            root.update(sums.sha256());
            crcs.add(sums.crc32c());
        }
        return new Manifest.FileEntry(HexFormat.of().formatHex(root.digest()), position, chunkBytes, cuts, null, crcs);
    }

    /**
     * Room in the buffer for the current chunk (at least one byte). Buffers start small and double up to a chunk, so
     * a small file (a config) never costs two whole chunks of memory.
     */
    private int room() {
        if (buf == null) buf = buffer(current);
        if (inChunk == buf.length) {
            buf = java.util.Arrays.copyOf(buf, (int) Math.min(chunkBytes, 2L * buf.length));
            buffers[current] = buf;
        }
        return buf.length - inChunk;
    }

    private void advance(int n) throws IOException {
        inChunk += n;
        position += n;
        if (inChunk == chunkBytes) finishChunk();
    }

    /**
     * Hands the chunk to a hashing thread and passes its bytes on here; the next chunk goes into the next buffer of
     * the ring, once the digest of what that buffer held last is done.
     */
    private void finishChunk() throws IOException {
        byte[] b = buf;
        int len = inChunk;
        digests.add(Hashing.submit(() -> new Sums(Hashing.sha256(b, 0, len), ChunkChecksum.crc32c(b, 0, len))));
        if (inChunk > passed) out.write(buf, passed, inChunk - passed);
        inChunk = 0;
        passed = 0;
        current = (current + 1) % buffers.length;
        if (digests.size() >= buffers.length) join(digests.get(digests.size() - buffers.length)); // that buffer's last chunk
        buf = buffer(current);
    }

    private byte[] buffer(int i) {
        if (buffers[i] == null) buffers[i] = new byte[Math.min(chunkBytes, FIRST_BUFFER_BYTES)];
        return buffers[i];
    }

    private static <T> T join(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while hashing a checkpoint chunk");
        } catch (ExecutionException e) {
            throw new IOException("hashing a checkpoint chunk failed: " + e.getCause(), e.getCause());
        }
    }
}
