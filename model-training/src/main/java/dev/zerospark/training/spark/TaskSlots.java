package dev.zerospark.training.spark;

import dev.zerospark.config.ConfigException;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * A barrier stage needs all its tasks running at once. Spark finds out only when the stage is submitted, then
 * retries for about ten minutes ("Barrier stage requires N slots, but only M are available"); this check runs on
 * the driver first and fails in seconds, naming both numbers and what to change.
 */
public final class TaskSlots {
    private static final Logger LOG = LoggerFactory.getLogger(TaskSlots.class);

    private TaskSlots() {}

    /**
     * Waits (up to Spark's own {@code spark.scheduler.maxRegisteredResourcesWaitingTime}, 30 s by default) for the
     * cluster to offer {@code worldSize} concurrent task slots, counted as Spark's barrier scheduler counts them
     * (executor cores over {@code spark.task.cpus}, and GPU amounts where tasks ask for GPUs). Local masters have
     * all their slots at once, so they never wait.
     */
    public static void require(JavaSparkContext jsc, int worldSize) {
        SparkContext sc = jsc.sc();
        boolean local = sc.isLocal();
        long waitMs = local ? 0 : sc.conf().getTimeAsMs("spark.scheduler.maxRegisteredResourcesWaitingTime", "30s");
        long deadline = System.nanoTime() + Duration.ofMillis(waitMs).toNanos();
        int slots = available(sc);
        while (slots < worldSize && System.nanoTime() < deadline) {
            LOG.info("waiting for task slots before launching {} ranks: {} available", worldSize, slots);
            try {
                Thread.sleep(1000); // executors register asynchronously; Spark offers no wait-for-slots call
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for task slots", e);
            }
            slots = available(sc);
        }
        if (slots < worldSize) throw tooFew(sc, worldSize, slots);
    }

    /** Slots for tasks of the default resource profile, as the barrier check ({@code maxNumConcurrentTasks}) counts them. */
    public static int available(SparkContext sc) {
        return sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile());
    }

    private static ConfigException tooFew(SparkContext sc, int worldSize, int slots) {
        String taskCpus = sc.conf().get("spark.task.cpus", "1");
        String gpu = sc.conf().getOption("spark.task.resource.gpu.amount").isDefined()
                ? ", spark.task.resource.gpu.amount " + sc.conf().get("spark.task.resource.gpu.amount") : "";
        String fix = sc.isLocal()
                ? "lower --world-size to " + Math.max(1, slots) + " or run with --master local[" + worldSize + "]"
                : "lower --world-size to " + Math.max(1, slots) + ", or give the job more slots (spark.executor.instances, "
                        + "spark.executor.cores, spark.task.cpus" + (gpu.isEmpty() ? "" : ", the GPU amounts") + ")";
        return new ConfigException("train.world_size", "train.world_size " + worldSize + " needs " + worldSize
                + " task slots at once (one barrier task per rank), but master " + sc.master() + " offers " + slots
                + " (spark.task.cpus " + taskCpus + gpu + "): " + fix);
    }
}
