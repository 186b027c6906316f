package dev.zerospark.cli;

import picocli.CommandLine.Command;

@Command(name = "train", mixinStandardHelpOptions = true, description = "Distributed training throughput and checkpoint I/O.")
public final class BenchTrainCommand implements Runnable {
    @Override
    public void run() {
        throw new NotYetAvailable("bench train");
    }
}
