package dev.zerospark.registry.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Optional;

/**
 * {@code <registry>/<name>/champion}: {@code {"version": N, "uri": ..., "changed_at": ...}}. Written aside and
 * renamed into place. Where rename cannot replace a file (s3a://, hdfs://) the old pointer is deleted first, and on
 * S3 a rename is a copy: a reader may find the pointer absent or, in principle, torn, so {@link #read} returns
 * empty for both and the registry falls back to the champion history, which Delta commits atomically.
 */
final class ChampionPointer {
    private static final Logger LOG = LoggerFactory.getLogger(ChampionPointer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private ChampionPointer() {}

    static Optional<Integer> read(String uri, Configuration conf) {
        Path p = new Path(uri);
        try (InputStream in = p.getFileSystem(conf).open(p)) {
            JsonNode n = JSON.readTree(in);
            if (n != null && n.path("version").isInt() && n.get("version").asInt() > 0) return Optional.of(n.get("version").asInt());
            LOG.warn("champion pointer {} holds no version number; using the champion history", uri);
            return Optional.empty();
        } catch (FileNotFoundException e) {
            return Optional.empty();
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            LOG.warn("champion pointer {} is torn or not JSON ({}); using the champion history", uri, e.getOriginalMessage());
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read champion pointer " + uri, e);
        }
    }

    static void write(String uri, int version, String versionUri, Configuration conf) {
        Path dst = new Path(uri);
        Path tmp = FsModelRegistry.aside(dst);
        try {
            FileSystem fs = dst.getFileSystem(conf);
            byte[] body = JSON.writeValueAsBytes(JSON.createObjectNode().put("version", version).put("uri", versionUri)
                    .put("changed_at", Instant.now().toString()));
            try (OutputStream out = fs.create(tmp, false)) {
                out.write(body);
            }
            fs.delete(dst, false);
            if (!fs.rename(tmp, dst)) throw new IOException("rename of " + tmp + " to " + dst + " failed");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move champion pointer " + uri + " to v" + version, e);
        }
    }
}
