package dev.zerospark.cli;

import picocli.CommandLine.Command;

@Command(name = "train-step", mixinStandardHelpOptions = true, description = "Forward+backward+AdamW step vs PyTorch eager.")
public final class BenchTrainStepCommand implements Runnable {
    @Override
    public void run() {
        throw new NotYetAvailable("bench train-step");
    }
}
