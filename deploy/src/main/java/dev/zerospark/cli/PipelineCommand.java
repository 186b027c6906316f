package dev.zerospark.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.zerospark.config.ZeroSparkConfig;
import dev.zerospark.pipeline.LeaseHeldException;
import dev.zerospark.pipeline.Pipeline;
import dev.zerospark.pipeline.PipelineStages;
import dev.zerospark.pipeline.PipelineSummary;
import dev.zerospark.pipeline.StageRecord;
import dev.zerospark.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code zerospark pipeline run}: the scheduled retraining pipeline. */
@Command(name = "pipeline", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "The retraining pipeline: prepare, train, eval, promote, generate.",
        subcommands = {PipelineCommand.Run.class})
public final class PipelineCommand {
    @Command(name = "run", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = {"Run the pipeline once, or resume a failed run with --run-id. The last stdout line is a summary JSON.",
                    "Exit codes: 0 done, 3 nothing new, 4 failed at a stage, 5 another run holds the lease, 2 config or usage error, 1 unexpected."})
    static final class Run implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Option(names = "--run-id", paramLabel = "ID", description = "Resume this run at its first stage that did not succeed, or start a run with this id (default: a new id).") String runId;
        @Option(names = "--registry", paramLabel = "URI", descriptionKey = "pipeline.registry") String registry;
        @Option(names = "--name", paramLabel = "NAME", descriptionKey = "pipeline.name") String name;
        @Option(names = "--master", paramLabel = "URL", description = "Spark master when not under spark-submit (default local[world size], at least 2).") String master;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            ZeroSparkConfig cfg = config.load(spec);
            PipelineStages stages = PipelineStages.of(cfg);
            String sparkMaster = master != null ? master : System.getProperty("spark.master") != null ? null
                    : TrainCommand.defaultLocalMaster(cfg.train().worldSize(), Runtime.getRuntime().availableProcessors());
            SparkSession spark = SparkSessions.getOrCreate("zerospark-pipeline", sparkMaster, Map.of());
            Pipeline pipeline = Pipeline.create(spark, cfg, stages);
            PrintWriter out = spec.commandLine().getOut();
            PipelineSummary s;
            try {
                s = pipeline.run(runId);
            } catch (LeaseHeldException e) {
                spec.commandLine().getErr().println("zerospark pipeline run: " + e.getMessage());
                out.println(JsonNodeFactory.instance.objectNode().put("run_id", runId).put("outcome", "lease_held")
                        .put("exit_code", PipelineSummary.EXIT_LEASE_HELD).put("active_run", e.ownerRunId()).put("error", e.getMessage()));
                out.flush();
                return PipelineSummary.EXIT_LEASE_HELD;
            }
            for (StageRecord r : s.stages()) {
                out.println("stage " + r.stage() + ": " + r.status().value() + (r.error() == null ? "" : " (" + r.error() + ")"));
            }
            if (s.decision() != null) out.println("promote: " + s.decision());
            out.println("runs: " + pipeline.runs().uri() + "   champion: " + (s.champion() == null ? "none" : s.champion()));
            if (s.outcome() == PipelineSummary.Outcome.FAILED) {
                spec.commandLine().getErr().println("zerospark pipeline run: run " + s.runId() + " failed at stage " + s.failedStage()
                        + ": " + s.error() + "; rerun with --run-id " + s.runId() + " to resume there");
            } else if (s.outcome() == PipelineSummary.Outcome.NOTHING_NEW) {
                out.println("nothing new: train, eval and promote skipped");
            }
            out.println(s.toJson());
            out.flush();
            return s.exitCode();
        }
    }
}
