package dev.zerospark.cli;

import picocli.CommandLine.Command;

@Command(name = "zero-memory", mixinStandardHelpOptions = true, description = "Per-rank memory of ZeRO stages 0/1/2.")
public final class BenchZeroMemoryCommand implements Runnable {
    @Override
    public void run() {
        throw new NotYetAvailable("bench zero-memory");
    }
}
