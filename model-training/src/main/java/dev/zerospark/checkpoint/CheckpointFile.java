package dev.zerospark.checkpoint;

import dev.zerospark.checkpoint.internal.ChunkMap;
import dev.zerospark.checkpoint.internal.PositionedFile;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * One file of a checkpoint step, read by position and verified as it is read: each chunk a read touches is fetched
 * whole (a positioned read of exactly that chunk), its checksum checked against the manifest, and only then handed
 * out. A rank therefore reads the ranges it needs and nothing else, and never uses an unverified byte ({@link
 * #readInto} checks a whole chunk in the caller's buffer it was read into, and fails the read if it does not match). Chunks are
 * checked with what the manifest recorded ({@link ChunkChecksum}): CRC32C on the reading thread, or, for older
 * checkpoints, sha256 on the hashing threads while the next chunks are read. A file from before chunked checksums
 * is verified whole on the first read.
 */
public final class CheckpointFile implements AutoCloseable {
    private final String stepUri;
    private final String key;
    private final String uri;
    private final Manifest.FileEntry entry;
    /** How chunks are checked, and the recorded checksum of each (null for a file without chunks). */
    private final ChunkChecksum checksum;
    private final List<String> expected;
    private final PositionedFile in;
    private final ChunkMap chunks;
    private byte[] buffer = new byte[0];
    private int cached = -1;
    private boolean wholeVerified;
    /** The digests of the chunks {@link #read(long, long, Sink)} has in flight, oldest first. */
    private final java.util.ArrayDeque<Future<String>> inFlight = new java.util.ArrayDeque<>();

    /** A file {@code key} of the step at {@code stepUri}; {@code chunks} is null for a file without chunks. */
    private CheckpointFile(String stepUri, String key, Manifest.FileEntry entry, PositionedFile in, ChunkMap chunks) {
        this.stepUri = stepUri;
        this.key = key;
        this.uri = stepUri + "/" + key;
        this.entry = entry;
        this.checksum = chunks == null ? null : ChunkChecksum.of(entry);
        this.expected = checksum == null ? null : checksum.expected(entry);
        this.in = in;
        this.chunks = chunks;
    }

    /**
     * Opens file {@code key} ({@code p} on {@code fs}) of the step at {@code stepUri}, checking its size against the
     * manifest's {@code entry}. {@code chunks} is null for a file without chunks.
     */
    static CheckpointFile open(FileSystem fs, Path p, String stepUri, String key, Manifest.FileEntry entry,
                               ChunkMap chunks) throws IOException {
        PositionedFile in = PositionedFile.open(fs, p);
        try {
            if (in.size() != entry.bytes()) throw CorruptCheckpointException.sizeMismatch(stepUri, key, entry.bytes(), in.size());
            return new CheckpointFile(stepUri, key, entry, in, chunks);
        } catch (RuntimeException e) {
            try {
                in.close();
            } catch (IOException c) {
                e.addSuppressed(c);
            }
            throw e;
        }
    }

    public String uri() {
        return uri;
    }

    public long size() {
        return entry.bytes();
    }

    /** Reads {@code len} verified bytes at {@code position} into {@code dst}. */
    public void readFully(long position, byte[] dst, int off, int len) {
        if (position < 0 || len < 0 || position + len > entry.bytes()) {
            throw new CheckpointException("read of " + len + " bytes at " + position + " is outside " + uri
                    + " (" + entry.bytes() + " bytes)");
        }
        try {
            if (chunks == null) {
                verifyWhole();
                fetch(position, dst, off, len);
                return;
            }
            while (len > 0) {
                int c = chunks.chunkAt(position);
                load(c);
                int from = (int) (position - chunks.start(c));
                int n = (int) Math.min(len, chunks.end(c) - position);
                System.arraycopy(buffer, from, dst, off, n);
                position += n;
                off += n;
                len -= n;
            }
        } catch (IOException e) {
            throw CheckpointException.io("read", uri, e);
        }
    }

    /**
     * Reads {@code dst.remaining()} verified bytes at {@code position} into {@code dst}, advancing its position. Each
     * chunk with a CRC32C that the range covers whole is read straight into {@code dst} and checked there: for a local
     * file a positioned read into the buffer, so into a direct buffer (a tensor's own memory) each byte is copied
     * once. Other chunks come through the chunk buffer, as {@link #read(long, long, Sink)} hands them out. When a
     * chunk's checksum does not match this throws, and what it had put into {@code dst} is unspecified.
     */
    public void readInto(long position, ByteBuffer dst) {
        int len = dst.remaining();
        if (position < 0 || position + len > entry.bytes()) {
            throw new CheckpointException("read of " + len + " bytes at " + position + " is outside " + uri
                    + " (" + entry.bytes() + " bytes)");
        }
        if (chunks == null || checksum != ChunkChecksum.CRC32C) {
            read(position, len, dst::put);
            return;
        }
        try {
            for (long end = position + len; position < end; ) {
                int c = chunks.chunkAt(position);
                int n = (int) (Math.min(end, chunks.end(c)) - position);
                if (position == chunks.start(c) && n == chunkLength(c) && c != cached) {
                    ByteBuffer into = dst.slice(dst.position(), n);
                    in.readFully(position, into);
                    String actual = ChunkChecksum.crc32c(into.flip());
                    if (!actual.equals(expected.get(c))) throw mismatch(c, actual);
                    dst.position(dst.position() + n);
                } else {
                    load(c);
                    dst.put(buffer, (int) (position - chunks.start(c)), n);
                }
                position += n;
            }
        } catch (IOException e) {
            throw CheckpointException.io("read", uri, e);
        }
    }

    /** Receives verified bytes of a range, in order: a little-endian view of them, valid only during the call. */
    @FunctionalInterface
    public interface Sink {
        void accept(ByteBuffer bytes);
    }

    /**
     * Streams the verified bytes {@code [position, position + len)} to {@code sink}, in order, a chunk at a time: each
     * chunk is handed out once its checksum matches, straight from the buffer it was read into (sha256 chunks are
     * hashed on hashing threads while the next ones are read, up to {@link ChunkChecksum#depth()} in flight). Reads
     * the chunks that hold the range and nothing else.
     */
    public void read(long position, long len, Sink sink) {
        if (position < 0 || len < 0 || position + len > entry.bytes()) {
            throw new CheckpointException("read of " + len + " bytes at " + position + " is outside " + uri
                    + " (" + entry.bytes() + " bytes)");
        }
        if (len == 0) return;
        try {
            if (chunks == null) {
                readWhole(position, len, sink);
                return;
            }
            int first = chunks.chunkAt(position);
            int last = chunks.chunkAt(position + len - 1);
            byte[][] bufs = ring(first, last);
            for (int c = first; c <= last; c++) {
                // The ring is full: hand out its oldest chunk (c - ring size), whose buffer chunk c then takes.
                if (inFlight.size() == bufs.length) deliver(c - bufs.length, bufs, position, len, sink);
                byte[] b = bufs[c % bufs.length];
                fetch(chunks.start(c), b, 0, chunkLength(c));
                inFlight.add(checksum.start(b, 0, chunkLength(c)));
            }
            for (int c = last - inFlight.size() + 1, end = last; c <= end; c++) deliver(c, bufs, position, len, sink);
        } catch (IOException e) {
            throw drain(CheckpointException.io("read", uri, e));
        } catch (RuntimeException e) {
            throw drain(e);
        }
    }

    /**
     * Waits for the digests still being computed when a read fails, so no hashing task outlives the read; a failure
     * of that wait is added to the read's own.
     */
    private <E extends RuntimeException> E drain(E failure) {
        for (Future<String> digest : inFlight) {
            try {
                join(digest);
            } catch (IOException | RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
        inFlight.clear();
        return failure;
    }

    /** Hands out chunk {@code c}, the oldest in flight, once its checksum is in and matches. */
    private void deliver(int c, byte[][] bufs, long position, long len, Sink sink) throws IOException {
        String actual = join(inFlight.peekFirst());
        inFlight.removeFirst();
        if (!actual.equals(expected.get(c))) throw mismatch(c, actual);
        long start = chunks.start(c);
        int from = (int) Math.max(0, position - start);
        int to = (int) (Math.min(position + len, chunks.end(c)) - start);
        sink.accept(ByteBuffer.wrap(bufs[c % bufs.length], from, to - from).slice().order(ByteOrder.LITTLE_ENDIAN));
    }

    /** A file from before chunked checksums: verified whole once, then read in buffer-sized pieces. */
    private void readWhole(long position, long len, Sink sink) throws IOException {
        verifyWhole();
        byte[] b = new byte[(int) Math.min(len, 1 << 20)];
        for (long done = 0; done < len; ) {
            int n = (int) Math.min(b.length, len - done);
            fetch(position + done, b, 0, n);
            sink.accept(ByteBuffer.wrap(b, 0, n).slice().order(ByteOrder.LITTLE_ENDIAN));
            done += n;
        }
    }

    /**
     * Buffers for chunks {@code first..last}: as many as may be in flight, each as large as the largest of them.
     * Checked one at a time (CRC32C), a read uses the file's one chunk buffer, which {@link #readFully} also uses;
     * pipelined (sha256), a read allocates its ring and drops it after, so a rank reading parts of many shards holds
     * no more than one chunk buffer for each.
     */
    private byte[][] ring(int first, int last) {
        int largest = 0;
        for (int c = first; c <= last; c++) largest = Math.max(largest, chunkLength(c));
        int depth = Math.min(checksum.depth(), last - first + 1);
        if (depth > 1) return new byte[depth][largest];
        if (buffer.length < largest) buffer = new byte[largest];
        cached = -1; // the read overwrites the chunk readFully kept
        return new byte[][] {buffer};
    }

    private int chunkLength(int c) {
        return (int) (chunks.end(c) - chunks.start(c));
    }

    private static String join(Future<String> digest) throws IOException {
        try {
            return digest.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while verifying a checkpoint chunk");
        } catch (ExecutionException e) {
            throw new IOException("hashing a checkpoint chunk failed: " + e.getCause(), e.getCause());
        }
    }

    /** The whole file, verified. */
    public byte[] readAll() {
        byte[] all = new byte[Math.toIntExact(entry.bytes())];
        readFully(0, all, 0, all.length);
        return all;
    }

    /**
     * Reads the whole file once against its checksums ({@code checkpoint inspect}): every chunk's, and for a file with
     * chunk CRC32Cs also its sha256 content id, re-hashed from the chunks (a file with chunk sha256s had that checked
     * against them with the manifest).
     */
    public void verifyAll() {
        try {
            if (chunks == null) {
                verifyWhole();
                return;
            }
            MessageDigest root = Hashing.digest();
            for (int c = 0; c < chunks.count(); c++) {
                load(c);
                if (checksum == ChunkChecksum.CRC32C) root.update(Hashing.sha256(buffer, 0, chunkLength(c)));
            }
            String actual = HexFormat.of().formatHex(root.digest());
            if (checksum == ChunkChecksum.CRC32C && !actual.equals(entry.sha256())) {
                throw new ChecksumMismatchException(stepUri, key, "the sha256 of its chunks' sha256s", "sha256", entry.sha256(), actual);
            }
        } catch (IOException e) {
            throw CheckpointException.io("read", uri, e);
        }
    }

    private void load(int c) throws IOException {
        if (c == cached) return;
        int len = (int) (chunks.end(c) - chunks.start(c));
        if (buffer.length < len) buffer = new byte[len];
        fetch(chunks.start(c), buffer, 0, len);
        String actual = checksum.of(buffer, 0, len);
        if (!actual.equals(expected.get(c))) {
            cached = -1;
            throw mismatch(c, actual);
        }
        cached = c;
    }

    private void fetch(long position, byte[] dst, int off, int len) throws IOException {
        in.readFully(position, dst, off, len);
    }

    private ChecksumMismatchException mismatch(int c, String actual) {
        return new ChecksumMismatchException(stepUri, key, "chunk " + c + " (bytes " + chunks.start(c) + ".." + chunks.end(c) + ")",
                checksum.algorithm, expected.get(c), actual);
    }

    private void verifyWhole() throws IOException {
        if (wholeVerified) return;
        MessageDigest sha = Hashing.digest();
        byte[] buf = new byte[(int) Math.min(1 << 16, entry.bytes())];
        for (long at = 0; at < entry.bytes(); at += buf.length) {
            int n = (int) Math.min(buf.length, entry.bytes() - at);
            fetch(at, buf, 0, n);
            sha.update(buf, 0, n);
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        if (!actual.equals(entry.sha256())) throw new ChecksumMismatchException(stepUri, key, "the whole file", "sha256", entry.sha256(), actual);
        wholeVerified = true;
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException e) {
            throw CheckpointException.io("close", uri, e);
        }
    }
}
