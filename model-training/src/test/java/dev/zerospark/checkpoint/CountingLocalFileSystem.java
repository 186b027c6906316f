package dev.zerospark.checkpoint;

import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The local filesystem under {@code countfs://}, counting the bytes every open stream hands out, per file name
 * (sequential and positioned reads alike): what a reader really fetched from the store; and, per file name, the
 * opens and status calls, which on a remote store are requests each.
 */
public final class CountingLocalFileSystem extends RawLocalFileSystem {
    private static final Map<String, AtomicLong> READ = new ConcurrentHashMap<>();
    private static final Map<String, AtomicLong> OPENS = new ConcurrentHashMap<>();
    private static final Map<String, AtomicLong> STATUSES = new ConcurrentHashMap<>();

    public static void reset() {
        READ.clear();
        OPENS.clear();
        STATUSES.clear();
    }

    /** Opens of files named {@code name} since the last reset. */
    public static long opens(String name) {
        return count(OPENS, name);
    }

    /** {@code getFileStatus} calls on files named {@code name} since the last reset. */
    public static long statuses(String name) {
        return count(STATUSES, name);
    }

    private static long count(Map<String, AtomicLong> counts, String name) {
        AtomicLong n = counts.get(name);
        return n == null ? 0 : n.get();
    }

    @Override
    public FileStatus getFileStatus(Path f) throws IOException {
        STATUSES.computeIfAbsent(f.getName(), k -> new AtomicLong()).incrementAndGet();
        return super.getFileStatus(f);
    }

    /** Bytes read from files named {@code name} since the last reset. */
    public static long bytesRead(String name) {
        AtomicLong n = READ.get(name);
        return n == null ? 0 : n.get();
    }

    @Override
    public URI getUri() {
        return URI.create("countfs:///");
    }

    @Override
    public String getScheme() {
        return "countfs";
    }

    @Override
    public FSDataInputStream open(Path f, int bufferSize) throws IOException {
        FSDataInputStream in = super.open(f, bufferSize);
        OPENS.computeIfAbsent(f.getName(), k -> new AtomicLong()).incrementAndGet();
        AtomicLong counter = READ.computeIfAbsent(f.getName(), k -> new AtomicLong());
        return new FSDataInputStream(new FSInputStream() {
            @Override
            public int read() throws IOException {
                int b = in.read();
                if (b >= 0) counter.incrementAndGet();
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return count(in.read(b, off, len));
            }

            @Override
            public int read(long position, byte[] b, int off, int len) throws IOException {
                return count(in.read(position, b, off, len));
            }

            @Override
            public void readFully(long position, byte[] b, int off, int len) throws IOException {
                in.readFully(position, b, off, len);
                counter.addAndGet(len);
            }

            private int count(int n) {
                if (n > 0) counter.addAndGet(n);
                return n;
            }

            @Override
            public void seek(long pos) throws IOException {
                in.seek(pos);
            }

            @Override
            public long getPos() throws IOException {
                return in.getPos();
            }

            @Override
            public boolean seekToNewSource(long targetPos) {
                return false;
            }

            @Override
            public void close() throws IOException {
                in.close();
            }
        });
    }
}
