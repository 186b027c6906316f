package dev.zerospark.checkpoint;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;

/**
 * The local filesystem under {@code crashfs://}, where writing a file whose name starts with a chosen prefix dies
 * after its first two bytes: what a crash mid-write leaves behind, reproducibly.
 */
public final class CrashingLocalFileSystem extends RawLocalFileSystem {
    private static volatile String crashPrefix;

    static void crashWritingFilesNamed(String prefix) {
        crashPrefix = prefix;
    }

    @Override
    public URI getUri() {
        return URI.create("crashfs:///");
    }

    @Override
    public String getScheme() {
        return "crashfs";
    }

    @Override
    public FSDataOutputStream create(Path f, boolean overwrite, int bufferSize, short replication, long blockSize,
                                     Progressable progress) throws IOException {
        return crashing(f, super.create(f, overwrite, bufferSize, replication, blockSize, progress));
    }

    @Override
    public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize,
                                     short replication, long blockSize, Progressable progress) throws IOException {
        return crashing(f, super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress));
    }

    private static FSDataOutputStream crashing(Path f, FSDataOutputStream out) throws IOException {
        String prefix = crashPrefix;
        if (prefix == null || !f.getName().startsWith(prefix)) return out;
        return new FSDataOutputStream(new OutputStream() {
            private int written;

            @Override
            public void write(int b) throws IOException {
                if (written++ >= 2) throw new IOException("injected crash while writing " + f);
                out.write(b);
            }

            @Override
            public void close() throws IOException {
                out.close();
            }
        }, null);
    }
}
