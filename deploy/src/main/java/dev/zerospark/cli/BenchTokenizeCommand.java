package dev.zerospark.cli;

import picocli.CommandLine.Command;

@Command(name = "tokenize", mixinStandardHelpOptions = true, description = "Prepare-job throughput vs the raw tokenizer.")
public final class BenchTokenizeCommand implements Runnable {
    @Override
    public void run() {
        throw new NotYetAvailable("bench tokenize");
    }
}
