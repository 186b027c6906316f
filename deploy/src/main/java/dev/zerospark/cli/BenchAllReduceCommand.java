package dev.zerospark.cli;

import picocli.CommandLine.Command;

@Command(name = "allreduce", mixinStandardHelpOptions = true, description = "Ring all-reduce bandwidth vs a raw TCP stream.")
public final class BenchAllReduceCommand implements Runnable {
    @Override
    public void run() {
        throw new NotYetAvailable("bench allreduce");
    }
}
