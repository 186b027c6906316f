package dev.zerospark.cli;

import picocli.CommandLine.Command;

@Command(name = "complete", mixinStandardHelpOptions = true, description = "Generate a completion for a prompt with a local model.")
public final class CompleteCommand implements Runnable {
    @Override
    public void run() {
        throw new NotYetAvailable("complete");
    }
}
