package dev.zerospark.checkpoint.internal;

import org.apache.hadoop.fs.ByteBufferReadable;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.StreamCapabilities;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

/**
 * A checkpoint file open for positioned reads. A file of the raw local filesystem is read through a
 * {@link FileChannel} of its own: positioned reads land straight in the caller's buffer (a tensor's memory, with no
 * copy on the heap), and opening and closing it skip the Hadoop stream's buffers and statistics, which for a
 * checkpoint of small shards cost as much as reading them. Any other store is read through its Hadoop stream.
 */
public interface PositionedFile extends Closeable {
    /** The file's length in bytes. */
    long size();

    /** Reads {@code len} bytes at {@code position} into {@code dst[off..]}. */
    void readFully(long position, byte[] dst, int off, int len) throws IOException;

    /** Fills {@code dst}'s remaining bytes with those at {@code position}. */
    void readFully(long position, ByteBuffer dst) throws IOException;

    /**
     * Opens {@code p} on {@code fs}: on the raw local filesystem itself, its channel; on any other (a subclass of it
     * too, which may do more in its own {@code open}), its stream, with its status's length.
     */
    static PositionedFile open(FileSystem fs, Path p) throws IOException {
        if (fs.getClass() == RawLocalFileSystem.class) {
            FileChannel channel = FileChannel.open(((RawLocalFileSystem) fs).pathToFile(p).toPath(), StandardOpenOption.READ);
            try {
                return new Channel(p, channel, channel.size());
            } catch (IOException | RuntimeException e) {
                try {
                    channel.close();
                } catch (IOException c) {
                    e.addSuppressed(c);
                }
                throw e;
            }
        }
        long size = fs.getFileStatus(p).getLen(); // before the open: nothing to close if the lookup fails
        return new Stream(p, fs.open(p), size);
    }

    /** A local file of {@code size} bytes read by positioned reads of its channel. */
    record Channel(Path path, FileChannel channel, long size) implements PositionedFile {
        @Override
        public void readFully(long position, byte[] dst, int off, int len) throws IOException {
            readFully(position, ByteBuffer.wrap(dst, off, len));
        }

        @Override
        public void readFully(long position, ByteBuffer dst) throws IOException {
            for (long at = position; dst.hasRemaining(); ) {
                int n = channel.read(dst, at);
                if (n < 0) throw new EOFException(path + " ends before byte " + at);
                at += n;
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /**
     * A file of any other store, read by a seek and a read on its open stream: not the stream's positioned read,
     * which on some stores opens the file anew each time; reading a range's chunks in order, the stream simply
     * continues. Into a buffer through the stream's own buffer reads where it has them, else through an array.
     */
    final class Stream implements PositionedFile {
        private final Path path;
        private final FSDataInputStream in;
        private final long size;
        private byte[] scratch = new byte[0];

        Stream(Path path, FSDataInputStream in, long size) {
            this.path = path;
            this.in = in;
            this.size = size;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public void readFully(long position, byte[] dst, int off, int len) throws IOException {
            if (in.getPos() != position) in.seek(position);
            in.readFully(dst, off, len);
        }

        @Override
        public void readFully(long position, ByteBuffer dst) throws IOException {
            // The capability alone is not enough: a wrapper may pass it on from a stream it does not read through.
            if (in.getWrappedStream() instanceof ByteBufferReadable && in.hasCapability(StreamCapabilities.READBYTEBUFFER)) {
                if (in.getPos() != position) in.seek(position);
                while (dst.hasRemaining()) {
                    int n = in.read(dst);
                    if (n < 0) throw new EOFException(path + " ends before byte " + in.getPos());
                    if (n == 0) throw new IOException(path + ": a read at byte " + in.getPos() + " returned no bytes");
                }
                return;
            }
            int n = dst.remaining();
            if (scratch.length < n) scratch = new byte[n];
            readFully(position, scratch, 0, n);
            dst.put(scratch, 0, n);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
