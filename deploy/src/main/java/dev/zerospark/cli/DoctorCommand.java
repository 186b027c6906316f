package dev.zerospark.cli;

import dev.zerospark.config.TrainConfig;
import dev.zerospark.doctor.Doctor;
import dev.zerospark.doctor.DoctorRequest;
import dev.zerospark.doctor.Finding;
import dev.zerospark.doctor.Target;
import dev.zerospark.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code zerospark doctor [--for train|generate|pipeline]}: one pass/warn/fail line per check, naming the setting,
 * then a JSON summary. Exits 0 when nothing failed, 2 (the config error code) when a check failed.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Check the live Spark configuration and environment before running train, generate or the pipeline.")
public final class DoctorCommand implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Option(names = "--for", paramLabel = "train|generate|pipeline", defaultValue = "pipeline",
            description = "The command to check for (default ${DEFAULT-VALUE}: barrier stages, ranks and every location).") String target;
    @Option(names = "--world-size", paramLabel = "N", descriptionKey = "train.world_size") Integer worldSize;
    @Option(names = "--checkpoint-dir", paramLabel = "URI", descriptionKey = "train.checkpoint_dir") String checkpointDir;
    @Option(names = "--registry", paramLabel = "URI", description = "The model registry root the pipeline promotes into (optional).") String registry;
    @Option(names = "--master", paramLabel = "URL", description = "Spark master when not under spark-submit (default local[*]).") String master;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Target t;
        try {
            t = Target.of(target);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--for: " + e.getMessage());
        }
        TrainConfig train = config.load(spec).train();
        Map<String, String> locations = new LinkedHashMap<>();
        if (train.checkpointDir() != null) locations.put("train.checkpoint_dir", train.checkpointDir());
        if (registry != null) locations.put("--registry", registry);
        DoctorRequest request = new DoctorRequest(t, train.worldSize(), locations, System.getenv());

        List<Finding> findings = new ArrayList<>();
        Optional<Finding> connect = Doctor.connectRequested(systemProperties(), System.getenv());
        SparkSession spark = null;
        if (connect.isPresent()) {
            findings.add(connect.get());
        } else {
            spark = SparkSessions.getOrCreate("zerospark-doctor", PrepareCommand.sparkMaster(master), Map.of());
        }
        findings.addAll(Doctor.check(spark, request));
        if (t != Target.GENERATE && train.checkpointDir() == null) {
            findings.add(Finding.warn("train.checkpoint_dir", "not given (--checkpoint-dir or --config): not checked"));
        }
        if (t == Target.PIPELINE && registry == null) findings.add(Finding.warn("--registry", "not given: not checked"));

        PrintWriter out = spec.commandLine().getOut();
        findings.forEach(f -> out.println(f.line()));
        out.println(Doctor.summaryJson(t, findings));
        out.flush();
        return Doctor.anyFailed(findings) ? CommandLine.ExitCode.USAGE : CommandLine.ExitCode.OK;
    }

    private static Map<String, String> systemProperties() {
        Map<String, String> m = new LinkedHashMap<>();
        System.getProperties().stringPropertyNames().forEach(k -> m.put(k, System.getProperty(k)));
        return m;
    }
}
