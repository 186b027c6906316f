package dev.zerospark.doctor.internal;

import dev.zerospark.config.ConfigException;
import dev.zerospark.doctor.Finding;
import dev.zerospark.doctor.Target;
import dev.zerospark.training.spark.TaskSlots;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The checks on the live Spark configuration: compute kind, dynamic allocation, task slots, GPU amounts. */
public final class SparkChecks {
    /** Databricks access modes whose user code runs through Spark Connect: no SparkContext, no RDDs. */
    private static final Set<String> SHARED_MODES = Set.of("USER_ISOLATION", "DATA_SECURITY_MODE_STANDARD",
            "LEGACY_TABLE_ACL", "LEGACY_PASSTHROUGH");
    /** Databricks tags the cluster's access mode here (an internal tag: absent elsewhere, and maybe one day there). */
    public static final String DATABRICKS_ACCESS_MODE = "spark.databricks.clusterUsageTags.dataSecurityMode";

    private SparkChecks() {}

    /**
     * Spark Connect asked for before any session exists: {@code spark.remote} or {@code spark.api.mode=connect} as a
     * system property (spark-submit's --conf), or {@code SPARK_REMOTE} in the environment.
     */
    public static Optional<Finding> connectRequested(Map<String, String> systemProperties, Map<String, String> env) {
        String remote = systemProperties.get("spark.remote");
        if (remote != null) return Optional.of(noSparkContext("spark.remote", "is " + remote));
        if ("connect".equalsIgnoreCase(systemProperties.get("spark.api.mode"))) {
            return Optional.of(noSparkContext("spark.api.mode", "is connect"));
        }
        if (env.get("SPARK_REMOTE") != null) return Optional.of(noSparkContext("SPARK_REMOTE", "is " + env.get("SPARK_REMOTE")));
        return Optional.empty();
    }

    private static Finding noSparkContext(String setting, String what) {
        return Finding.fail(setting, what + ": a Spark Connect session has no SparkContext, so no barrier stages and no RDDs,"
                + " which train, generate and the pipeline use; run on classic compute (Databricks: a job cluster with"
                + " data_security_mode SINGLE_USER, not standard/shared access mode or serverless)");
    }

    /** The session's SparkContext, or a failing finding when it has none (Spark Connect, shared compute). */
    public static SparkContextOrFinding context(SparkSession spark) {
        if (!(spark instanceof org.apache.spark.sql.classic.SparkSession classic)) {
            return new SparkContextOrFinding(null, noSparkContext("SparkContext", "this session is a "
                    + spark.getClass().getName()));
        }
        SparkContext sc = classic.sparkContext();
        String mode = sc.conf().get(DATABRICKS_ACCESS_MODE, null);
        if (mode != null && SHARED_MODES.contains(mode.toUpperCase(Locale.ROOT))) {
            return new SparkContextOrFinding(null, noSparkContext(DATABRICKS_ACCESS_MODE, "is " + mode + " (standard/shared access mode)"));
        }
        return new SparkContextOrFinding(sc, Finding.pass("SparkContext", "classic session on master " + sc.master()
                + (mode == null ? "" : " (Databricks access mode " + mode + ")")));
    }

    /** A SparkContext to check further, or why there is none. */
    public record SparkContextOrFinding(SparkContext sc, Finding finding) {}

    /** All checks that need a SparkContext, in print order. */
    public static List<Finding> check(SparkContext sc, Target target, int worldSize) {
        List<Finding> out = new ArrayList<>();
        out.add(dynamicAllocation(sc.conf(), target));
        if (target.barrier()) out.add(taskSlots(sc, worldSize));
        out.add(gpuAmounts(sc.conf(), sc.master()));
        return out;
    }

    static Finding dynamicAllocation(SparkConf conf, Target target) {
        String key = "spark.dynamicAllocation.enabled";
        boolean on = conf.getBoolean(key, false);
        if (!on) return Finding.pass(key, "false");
        if (target.barrier()) {
            return Finding.fail(key, "true, but " + target.cliName() + " runs barrier stages, which Spark refuses under"
                    + " dynamic allocation; set " + key + "=false");
        }
        return Finding.pass(key, "true (" + target.cliName() + " runs no barrier stage)");
    }

    static Finding taskSlots(SparkContext sc, int worldSize) {
        try {
            TaskSlots.require(new JavaSparkContext(sc), worldSize);
        } catch (ConfigException e) {
            return Finding.fail("train.world_size", e.getMessage());
        }
        return Finding.pass("train.world_size", worldSize + " ranks fit the " + TaskSlots.available(sc)
                + " concurrent task slots master " + sc.master() + " offers (spark.task.cpus " + sc.conf().get("spark.task.cpus", "1") + ")");
    }

    static Finding gpuAmounts(SparkConf conf, String master) {
        String execKey = "spark.executor.resource.gpu.amount";
        String taskKey = "spark.task.resource.gpu.amount";
        String scriptKey = "spark.executor.resource.gpu.discoveryScript";
        double exec = conf.getDouble(execKey, 0);
        if (exec <= 0) {
            return conf.contains(taskKey)
                    ? Finding.fail(taskKey, conf.get(taskKey) + ", but executors have no GPUs (" + execKey + " is not set): set "
                            + execKey + " to the GPUs of one executor")
                    : Finding.pass(execKey, "not set: ranks run on CPU");
        }
        if (!conf.contains(taskKey)) {
            return Finding.fail(taskKey, "not set, but executors have " + fmt(exec) + " GPU(s) (" + execKey + "): set "
                    + taskKey + "=1 so each rank gets its own GPU from TaskContext.resources()");
        }
        double task = conf.getDouble(taskKey, 0);
        if (task > exec) {
            return Finding.fail(taskKey, fmt(task) + " is more than the " + fmt(exec) + " GPU(s) of an executor (" + execKey + ")");
        }
        if (!conf.contains(scriptKey) && master.startsWith("yarn")) {
            return Finding.fail(scriptKey, "not set: YARN does not tell Spark which GPUs a container has; ship"
                    + " deploy/yarn/gpu-discovery.sh (deploy/yarn/submit.sh does)");
        }
        String ranks = task < 1 ? "; ranks would share a GPU" : "";
        Finding f = Finding.pass(taskKey, fmt(task) + " per task, " + fmt(exec) + " per executor: " + (int) Math.floor(exec / task)
                + " rank(s) per executor" + ranks);
        return task < 1 ? Finding.warn(taskKey, f.message()) : f;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
