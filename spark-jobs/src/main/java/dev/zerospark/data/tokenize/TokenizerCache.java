package dev.zerospark.data.tokenize;

import dev.zerospark.tokenizer.HfTokenizer;
import dev.zerospark.tokenizer.TokenizerProvenance;
import org.apache.spark.SparkFiles;
import org.apache.spark.sql.SparkSession;

import java.net.URI;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link HfTokenizer} per executor JVM and tokenizer location: tasks share it (the native tokenizer is
 * thread-safe), so the JSON is parsed once per JVM rather than once per task or row.
 */
public final class TokenizerCache {
    private static final ConcurrentHashMap<String, HfTokenizer> CACHE = new ConcurrentHashMap<>();
    private static final String SPARK_FILES = "sparkfiles:";

    private TokenizerCache() {}

    /**
     * Where executors will find the tokenizer: local paths as they are; other URIs (s3a://, dbfs:/, hdfs://) are
     * shipped to every executor with {@code SparkContext.addFile} and found there by directory name.
     */
    public static String distribute(SparkSession spark, String location) {
        URI uri = URI.create(location.replace('\\', '/').replace(" ", "%20"));
        if (uri.getScheme() == null || uri.getScheme().equals("file") || uri.getScheme().length() == 1) {
            return Paths.get(uri.getScheme() == null || uri.getScheme().length() == 1 ? location : uri.getPath())
                    .toAbsolutePath().normalize().toString();
        }
        spark.sparkContext().addFile(location, true);
        String name = location.replaceAll("/+$", "");
        return SPARK_FILES + name.substring(name.lastIndexOf('/') + 1);
    }

    public static HfTokenizer get(String location) {
        return CACHE.computeIfAbsent(location, loc -> HfTokenizer.load(localDir(loc)));
    }

    /**
     * The provenance of the tokenizer given as {@code location} and {@link #distribute distributed} to
     * {@code distributed}: the sha256 of the very tokenizer.json this JVM encodes with, and the location as an
     * absolute URI (a relative local path would mean nothing to a later train or export).
     */
    public static TokenizerProvenance provenance(String location, String distributed) {
        String uri = distributed.startsWith(SPARK_FILES) ? location.replaceAll("/+$", "")
                : Paths.get(distributed).toUri().toString().replaceAll("/+$", "");
        return TokenizerProvenance.of(localDir(distributed), uri);
    }

    private static Path localDir(String distributed) {
        return distributed.startsWith(SPARK_FILES)
                ? Paths.get(SparkFiles.get(distributed.substring(SPARK_FILES.length()))) : Paths.get(distributed);
    }
}
