package dev.zerospark.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.config.ZeroSparkConfig;
import dev.zerospark.registry.ModelRegistry;
import org.apache.spark.sql.SparkSession;

import java.util.Optional;

/** What a stage sees of its run. */
public interface StageContext {
    SparkSession spark();

    ZeroSparkConfig config();

    String runId();

    ModelRegistry registry();

    /** {@code <registry>/<name>/runs/<run_id>}: the run's own files (training mix, checkpoints, candidate model). */
    String runDir();

    /** The {@code pipeline_runs} records of every run. */
    PipelineRuns runs();

    /** The result of an earlier stage of this run that succeeded or was skipped, from this or an earlier attempt. */
    Optional<StageRecord> done(String stage);

    /** The metrics an earlier stage of this run recorded, empty when it recorded none or has not run. */
    ObjectNode metricsOf(String stage);
}
