package dev.zerospark.checkpoint;

import dev.zerospark.checkpoint.internal.ChunkMap;
import org.apache.hadoop.fs.FSDataInputStream;

import java.io.IOException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * One file of a checkpoint step, read by position and verified as it is read: each chunk a read touches is fetched
 * whole (a positioned read of exactly that chunk), its sha256 checked against the manifest, and only then handed
 * out. A rank therefore reads the ranges it needs and nothing else, and never uses an unverified byte. A file from
 * before chunked checksums is verified whole on the first read.
 */
public final class CheckpointFile implements AutoCloseable {
    private final String uri;
    private final Manifest.FileEntry entry;
    private final FSDataInputStream in;
    private final ChunkMap chunks;
    private byte[] buffer = new byte[0];
    private int cached = -1;
    private boolean wholeVerified;

    CheckpointFile(String uri, Manifest.FileEntry entry, FSDataInputStream in, ChunkMap chunks) {
        this.uri = uri;
        this.entry = entry;
        this.in = in;
        this.chunks = chunks;
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
                in.readFully(position, dst, off, len);
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

    /** The whole file, verified. */
    public byte[] readAll() {
        byte[] all = new byte[Math.toIntExact(entry.bytes())];
        readFully(0, all, 0, all.length);
        return all;
    }

    /** Reads the whole file once against its checksums ({@code checkpoint inspect}). */
    public void verifyAll() {
        try {
            if (chunks == null) {
                verifyWhole();
            } else {
                for (int c = 0; c < entry.chunks().size(); c++) load(c);
            }
        } catch (IOException e) {
            throw CheckpointException.io("read", uri, e);
        }
    }

    private void load(int c) throws IOException {
        if (c == cached) return;
        int len = (int) (chunks.end(c) - chunks.start(c));
        if (buffer.length < len) buffer = new byte[len];
        in.readFully(chunks.start(c), buffer, 0, len);
        MessageDigest sha = CheckpointStore.sha256();
        sha.update(buffer, 0, len);
        String actual = HexFormat.of().formatHex(sha.digest());
        String expected = entry.chunks().get(c);
        if (!actual.equals(expected)) {
            cached = -1;
            throw new ChecksumMismatchException(uri, "chunk " + c + " (bytes " + chunks.start(c) + ".." + chunks.end(c) + ")",
                    expected, actual);
        }
        cached = c;
    }

    private void verifyWhole() throws IOException {
        if (wholeVerified) return;
        MessageDigest sha = CheckpointStore.sha256();
        byte[] buf = new byte[1 << 16];
        in.seek(0);
        for (int n; (n = in.read(buf)) > 0; ) sha.update(buf, 0, n);
        String actual = HexFormat.of().formatHex(sha.digest());
        if (!actual.equals(entry.sha256())) throw new ChecksumMismatchException(uri, entry.sha256(), actual);
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
