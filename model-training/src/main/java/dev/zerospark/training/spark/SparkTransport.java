package dev.zerospark.training.spark;

import org.apache.spark.SparkConf;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whether what training sends through Spark crosses the network in clear text: the ring's job secret (rank 0 hands
 * it to the others through the barrier {@code allGather}) and the Hadoop keys in task closures. Spark protects
 * its RPC and block transfers only with {@code spark.authenticate=true} and {@code spark.network.crypto.enabled=true}.
 */
public final class SparkTransport {
    private SparkTransport() {}

    /** Empty when Spark encrypts its traffic or everything stays in one JVM (local master); else what to set. */
    public static Optional<String> clearTextRisk(SparkConf conf) {
        if (conf.get("spark.master", "").startsWith("local")) {
            return Optional.empty();
        }
        List<String> missing = new ArrayList<>();
        for (String key : List.of("spark.authenticate", "spark.network.crypto.enabled")) {
            if (!conf.getBoolean(key, false)) {
                missing.add(key + "=true");
            }
        }
        if (missing.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("the collective ring's job secret and the tasks' Hadoop credentials cross the network in"
                + " clear text through Spark's RPC; set " + String.join(" and ", missing) + " to encrypt it");
    }
}
