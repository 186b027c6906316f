package dev.zerospark.checkpoint;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.URI;

/**
 * The local disk under {@code sparsetail://}, keeping only the first {@link #KEPT_BYTES} bytes of what is written to a
 * file: the rest is counted, not stored, and on close the file is extended (sparse, reading back as zeros) to the
 * length written. A test can then write files of several GB (their headers intact, their sizes true) without the
 * disk space or the time. Register with {@code fs.sparsetail.impl}.
 */
public final class SparseTailFileSystem extends RawLocalFileSystem {
    public static final int KEPT_BYTES = 1 << 20;

    @Override
    public String getScheme() {
        return "sparsetail";
    }

    @Override
    public URI getUri() {
        return URI.create("sparsetail:///");
    }

    @Override
    public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize, short replication,
                                     long blockSize, Progressable progress) throws IOException {
        FSDataOutputStream kept = super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
        java.io.File file = pathToFile(f);
        return new FSDataOutputStream(new OutputStream() {
            private long written;

            @Override
            public void write(int b) throws IOException {
                if (written < KEPT_BYTES) kept.write(b);
                written++;
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                int keep = (int) Math.max(0, Math.min(len, KEPT_BYTES - written));
                if (keep > 0) kept.write(b, off, keep);
                written += len;
            }

            @Override
            public void close() throws IOException {
                kept.close();
                try (RandomAccessFile raf = new RandomAccessFile(file, "rw")) {
                    raf.setLength(written);
                }
            }
        }, null);
    }
}
