package dev.zerospark.doctor.internal;

import org.apache.hadoop.conf.Configuration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where S3A would take credentials from, in its own order (per-bucket keys, keys, a credentials provider the user
 * chose, then the environment), without contacting anything. Names the source, never a value.
 */
final class S3Credentials {
    static final String KEYS = "fs.s3a.access.key/fs.s3a.secret.key";
    /** Providers that read fs.s3a.*.key themselves: naming one adds no credentials. */
    private static final Set<String> KEY_PROVIDERS = Set.of("org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
            "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider");

    private S3Credentials() {}

    static Optional<String> source(Configuration conf, String bucket, Map<String, String> env) {
        String perBucket = "fs.s3a.bucket." + bucket + ".";
        if (has(conf, perBucket + "access.key") && has(conf, perBucket + "secret.key")) {
            return Optional.of(perBucket + "access.key/" + perBucket + "secret.key");
        }
        if (has(conf, "fs.s3a.access.key") && has(conf, "fs.s3a.secret.key")) return Optional.of(KEYS);
        for (String key : new String[] {perBucket + "aws.credentials.provider", "fs.s3a.aws.credentials.provider"}) {
            if (chosenProvider(conf, key)) return Optional.of(key + " (" + conf.getTrimmed(key) + ")");
        }
        if (env.get("AWS_ACCESS_KEY_ID") != null && env.get("AWS_SECRET_ACCESS_KEY") != null) {
            return Optional.of("AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
        }
        for (String var : new String[] {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"}) {
            if (env.get(var) != null) return Optional.of(var);
        }
        return Optional.empty();
    }

    static String howToSet(String bucket) {
        return "set " + KEYS + " (or fs.s3a.bucket." + bucket + ".access.key/secret.key; spark.hadoop.* from Spark), or"
                + " fs.s3a.aws.credentials.provider (an instance profile: org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider),"
                + " or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
    }

    /** A key or password set in the configuration or its credential providers (hadoop.security.credential.provider.path). */
    private static boolean has(Configuration conf, String key) {
        try {
            char[] v = conf.getPassword(key);
            return v != null && v.length > 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + key + " from the Hadoop credential providers", e);
        }
    }

    /**
     * A provider list the user set (core-default.xml's list is S3A's default chain, which the instance-profile
     * provider ends and which finds nothing off EC2), other than the providers that only read the keys above.
     */
    private static boolean chosenProvider(Configuration conf, String key) {
        String v = conf.getTrimmed(key);
        if (v == null || v.isEmpty()) return false;
        String[] sources = conf.getPropertySources(key);
        if (sources != null && Arrays.stream(sources).allMatch("core-default.xml"::equals)) return false;
        return !Arrays.stream(v.split(",")).map(String::trim).allMatch(KEY_PROVIDERS::contains);
    }
}
