package dev.zerospark.pipeline.internal;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A model directory on any Hadoop filesystem, copied to a temporary local directory (the model loader reads local
 * files), deleted on close.
 */
final class LocalModel implements AutoCloseable {
    private final java.nio.file.Path dir;

    private LocalModel(java.nio.file.Path dir) {
        this.dir = dir;
    }

    static LocalModel copy(String uri, Configuration conf) throws IOException {
        java.nio.file.Path tmp = Files.createTempDirectory("zs-pipeline-model-");
        Path src = new Path(uri);
        FileSystem fs = src.getFileSystem(conf);
        for (var f : fs.listStatus(src)) {
            if (f.isFile()) fs.copyToLocalFile(false, f.getPath(), new Path(tmp.resolve(f.getPath().getName()).toUri()), true);
        }
        return new LocalModel(tmp);
    }

    /** Copies a local directory's files to {@code uri}, replacing what is there. */
    static void upload(java.nio.file.Path local, String uri, Configuration conf) throws IOException {
        Path dst = new Path(uri);
        FileSystem fs = dst.getFileSystem(conf);
        fs.delete(dst, true);
        fs.mkdirs(dst);
        try (Stream<java.nio.file.Path> files = Files.list(local)) {
            for (java.nio.file.Path f : files.toList()) {
                fs.copyFromLocalFile(false, true, new Path(f.toUri()), new Path(dst, f.getFileName().toString()));
            }
        }
    }

    java.nio.file.Path dir() {
        return dir;
    }

    static void delete(java.nio.file.Path dir) {
        try (Stream<java.nio.file.Path> walk = Files.walk(dir)) {
            for (java.nio.file.Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete temporary model copy " + dir, e);
        }
    }

    @Override
    public void close() {
        delete(dir);
    }
}
