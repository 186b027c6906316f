package dev.zerospark.doctor.internal;

import dev.zerospark.doctor.Finding;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Each location a command writes (checkpoints, the registry) must be reachable and writable: a probe file is written,
 * read back and deleted through Hadoop's FileSystem, as the command itself would. For {@code s3a://}, credentials
 * are looked for first.
 */
public final class StorageChecks {
    static final String PROBE_PREFIX = "_zerospark-doctor-probe-";

    private StorageChecks() {}

    public static List<Finding> check(Configuration conf, Map<String, String> locations, Map<String, String> env) {
        List<Finding> out = new ArrayList<>();
        for (Map.Entry<String, String> e : locations.entrySet()) {
            String setting = e.getKey();
            String uri = e.getValue();
            String scheme = scheme(conf, uri);
            if (scheme.equals("s3a")) {
                String bucket = new Path(uri).toUri().getHost();
                Optional<String> source = S3Credentials.source(conf, bucket, env);
                if (source.isEmpty()) {
                    out.add(Finding.fail(S3Credentials.KEYS, "no credentials for " + uri + " (" + setting + "): "
                            + S3Credentials.howToSet(bucket)));
                    out.add(Finding.warn(setting, uri + " not probed: no credentials to reach it"));
                    continue;
                }
                out.add(Finding.pass(S3Credentials.KEYS, uri + ": credentials from " + source.get()));
            }
            out.add(probe(conf, setting, uri));
        }
        return out;
    }

    private static String scheme(Configuration conf, String uri) {
        String s = new Path(uri).toUri().getScheme();
        if (s == null) s = FileSystem.getDefaultUri(conf).getScheme();
        return s == null ? "file" : s.toLowerCase(Locale.ROOT);
    }

    /** Writes, checks and deletes a probe file under {@code uri}; removes {@code uri} again if the probe created it. */
    static Finding probe(Configuration conf, String setting, String uri) {
        Path dir = new Path(uri);
        byte[] payload = ("zerospark doctor " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
        Path probe = new Path(dir, PROBE_PREFIX + UUID.randomUUID());
        try {
            FileSystem fs = dir.getFileSystem(conf);
            boolean existed = fs.exists(dir);
            try (FSDataOutputStream out = fs.create(probe, false)) {
                out.write(payload);
            }
            long len = fs.getFileStatus(probe).getLen();
            if (len != payload.length) {
                return Finding.fail(setting, "cannot write to " + uri + ": a probe file of " + payload.length + " bytes reads back as " + len);
            }
            if (!fs.delete(probe, false)) return Finding.fail(setting, "cannot delete the probe file " + probe + " under " + uri);
            if (!existed && fs.exists(dir) && fs.listStatus(dir).length == 0) fs.delete(dir, false);
            return Finding.pass(setting, uri + " is writable (wrote, read and deleted a probe file)");
        } catch (IOException | RuntimeException e) {
            return Finding.fail(setting, "cannot write to " + uri + ": " + e.getClass().getSimpleName() + ": "
                    + LibTorchCheck.firstLine(e.getMessage()));
        }
    }
}
