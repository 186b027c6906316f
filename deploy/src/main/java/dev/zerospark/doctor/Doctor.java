package dev.zerospark.doctor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.doctor.internal.LibTorchCheck;
import dev.zerospark.doctor.internal.SparkChecks;
import dev.zerospark.doctor.internal.StorageChecks;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code zerospark doctor}: checks that the live Spark configuration and environment can run a command, before it
 * runs: compute with a SparkContext, dynamic allocation off for barrier stages, enough task slots for the ranks,
 * GPU amounts that give each rank a GPU, libtorch loadable offline, and every location writable with credentials.
 */
public final class Doctor {
    private Doctor() {}

    /** Spark Connect asked for by system properties or the environment: then no classic session can be made. */
    public static Optional<Finding> connectRequested(Map<String, String> systemProperties, Map<String, String> env) {
        return SparkChecks.connectRequested(systemProperties, env);
    }

    /** Every check against {@code spark}, or, when it is null (Spark Connect), those that need no SparkContext. */
    public static List<Finding> check(SparkSession spark, DoctorRequest request) {
        List<Finding> out = new ArrayList<>();
        SparkContext sc = null;
        if (spark != null) {
            SparkChecks.SparkContextOrFinding c = SparkChecks.context(spark);
            out.add(c.finding());
            sc = c.sc();
        }
        if (sc != null) out.addAll(SparkChecks.check(sc, request.target(), request.worldSize()));
        out.addAll(LibTorchCheck.check(sc == null ? null : sc.conf(), request.env()));
        Configuration hadoop = sc != null ? sc.hadoopConfiguration() : new Configuration();
        out.addAll(StorageChecks.check(hadoop, request.locations(), request.env()));
        return out;
    }

    public static boolean anyFailed(List<Finding> findings) {
        return findings.stream().anyMatch(f -> f.status() == Finding.Status.FAIL);
    }

    /** The summary line: {@code {"doctor":"train","pass":5,"warn":0,"fail":1,"failed":["train.world_size"]}}. */
    public static String summaryJson(Target target, List<Finding> findings) {
        ObjectNode j = new ObjectMapper().createObjectNode();
        j.put("doctor", target.cliName());
        for (Finding.Status s : Finding.Status.values()) {
            j.put(s.name().toLowerCase(java.util.Locale.ROOT), findings.stream().filter(f -> f.status() == s).count());
        }
        ArrayNode failed = j.putArray("failed");
        findings.stream().filter(f -> f.status() == Finding.Status.FAIL).forEach(f -> failed.add(f.setting()));
        return j.toString();
    }
}
