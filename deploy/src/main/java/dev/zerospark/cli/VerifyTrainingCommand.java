package dev.zerospark.cli;

import dev.zerospark.collective.CollectiveConfig;
import dev.zerospark.collective.WireFormat;
import dev.zerospark.train.TrainDevice;
import dev.zerospark.zero.TrainingVerifier;
import dev.zerospark.zero.ZeroStage;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * Replays a recorded PyTorch training run (training_reference.json + train_batches.safetensors in the model
 * directory) on N ranks talking real TCP on 127.0.0.1 with ZeRO stage S, and compares every step's loss.
 */
@Command(name = "verify-training", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Replay a recorded training run on N ranks over TCP with ZeRO stage S and compare each step's loss.")
public final class VerifyTrainingCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "HF directory holding training_reference.json and train_batches.safetensors (required).") Path model;
    @Option(names = "--world-size", defaultValue = "1", paramLabel = "N", description = "Ranks (default ${DEFAULT-VALUE}).") int worldSize;
    @Option(names = "--zero-stage", defaultValue = "0", paramLabel = "S", description = "ZeRO stage 0, 1 or 2 (default ${DEFAULT-VALUE}).") int stage;
    @Option(names = "--tolerance", defaultValue = "1e-4", description = "Max absolute loss error per step (default ${DEFAULT-VALUE}).") double tolerance;
    @Option(names = "--micro-batches", defaultValue = "1", description = "Split each rank's slice into this many micro-batches (default ${DEFAULT-VALUE}).") int microBatches;
    @Option(names = "--device", paramLabel = "D", defaultValue = "cpu", description = "Where every rank's model lives: cpu | cuda:N (default ${DEFAULT-VALUE}).") String device;
    @Option(names = "--timeout-s", defaultValue = "120", description = "Collective timeout in seconds (default ${DEFAULT-VALUE}).") int timeoutS;
    @Option(names = "--communication-data-type", defaultValue = "fp32", paramLabel = "TYPE", converter = WireFormatConverter.class,
            description = "Gradient reduction traffic as fp32, bf16 or fp16 (default ${DEFAULT-VALUE}); 16-bit needs a looser --tolerance.") WireFormat wire;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(model.resolve("training_reference.json"))) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--model " + model + " has no training_reference.json");
        }
        ZeroStage zeroStage;
        try {
            zeroStage = ZeroStage.of(stage);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--zero-stage: " + e.getMessage());
        }
        ai.djl.Device dev;
        try {
            dev = TrainDevice.parse(device);
        } catch (TrainDevice.UnknownDeviceException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--device: " + e.getMessage());
        }
        TrainingVerifier.Report report = TrainingVerifier.run(new TrainingVerifier.Options(model, worldSize, zeroStage,
                tolerance, microBatches, CollectiveConfig.loopback(Duration.ofSeconds(timeoutS)).withReductionWire(wire), dev));
        PrintWriter out = spec.commandLine().getOut();
        out.print(report.table());
        out.printf("%s: world size %d, ZeRO stage %d, device %s, max loss error %.3g (tolerance %.3g)%n",
                report.passed() ? "PASS" : "FAIL", worldSize, stage, dev, report.maxError(), tolerance);
        out.flush();
        return report.passed() ? 0 : 1;
    }
}
