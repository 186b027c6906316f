package dev.zerospark.cli;

import dev.zerospark.collective.CollectiveConfig;
import dev.zerospark.collective.WireFormat;
import dev.zerospark.model.Precision;
import dev.zerospark.train.TrainingReference;
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
 * directory) on N ranks talking real TCP on 127.0.0.1 with ZeRO stage S, and compares every step's loss. With
 * {@code --precision bf16} it replays training_reference_bf16.json with the model in bf16 and also checks gradient
 * norms and the final master and bf16 weights.
 */
@Command(name = "verify-training", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Replay a recorded training run on N ranks over TCP with ZeRO stage S and compare each step's loss.")
public final class VerifyTrainingCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "HF directory holding training_reference.json and train_batches.safetensors (required).") Path model;
    @Option(names = "--world-size", defaultValue = "1", paramLabel = "N", description = "Ranks (default ${DEFAULT-VALUE}).") int worldSize;
    @Option(names = "--zero-stage", defaultValue = "0", paramLabel = "S", description = "ZeRO stage 0, 1 or 2 (default ${DEFAULT-VALUE}).") int stage;
    @Option(names = "--tolerance", paramLabel = "ERR", description = "Max absolute loss error per step (default 1e-4; 1e-3 with --precision bf16).") Double tolerance;
    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "P",
            description = "fp32 replays training_reference.json; bf16 replays the bf16 mixed-precision run in "
                    + "training_reference_bf16.json with the model in bf16 (default ${DEFAULT-VALUE}).") String precision;
    @Option(names = "--micro-batches", defaultValue = "1", description = "Split each rank's slice into this many micro-batches (default ${DEFAULT-VALUE}).") int microBatches;
    @Option(names = "--device", paramLabel = "D", defaultValue = "cpu", description = "Where every rank's model lives: cpu | cuda:N (default ${DEFAULT-VALUE}).") String device;
    @Option(names = "--timeout-s", defaultValue = "120", description = "Collective timeout in seconds (default ${DEFAULT-VALUE}).") int timeoutS;
    @Option(names = "--communication-data-type", defaultValue = "fp32", paramLabel = "TYPE", converter = WireFormatConverter.class,
            description = "Gradient reduction traffic as fp32, bf16 or fp16 (default ${DEFAULT-VALUE}); 16-bit needs a looser --tolerance.") WireFormat wire;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Precision p;
        try {
            p = Precision.of(precision);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--precision: " + e.getMessage());
        }
        if (p == Precision.FP16) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--precision fp16: there is no fp16 reference"
                    + " run to replay; use fp32 or bf16");
        }
        String reference = p == Precision.BF16 ? TrainingReference.BF16_FILE : TrainingReference.FILE;
        if (!Files.isRegularFile(model.resolve(reference))) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--model " + model + " has no " + reference);
        }
        double tol = tolerance != null ? tolerance : p == Precision.BF16 ? 1e-3 : 1e-4;
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
                tol, microBatches, CollectiveConfig.loopback(Duration.ofSeconds(timeoutS)).withReductionWire(wire), dev,
                p));
        PrintWriter out = spec.commandLine().getOut();
        out.print(report.table());
        out.printf("%s: %s, world size %d, ZeRO stage %d, device %s, max loss error %.3g (tolerance %.3g)%n",
                report.passed() ? "PASS" : "FAIL", p.key(), worldSize, stage, dev, report.maxError(), tol);
        out.flush();
        return report.passed() ? 0 : 1;
    }
}
