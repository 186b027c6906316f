package dev.zerospark.cli;

import picocli.CommandLine.Command;

@Command(name = "verify-training", mixinStandardHelpOptions = true, description = "Replay a fixture's training run on N ranks over TCP and compare losses.")
public final class VerifyTrainingCommand implements Runnable {
    @Override
    public void run() {
        throw new NotYetAvailable("verify-training");
    }
}
