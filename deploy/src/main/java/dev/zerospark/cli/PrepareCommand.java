package dev.zerospark.cli;

import picocli.CommandLine.Command;

@Command(name = "prepare", mixinStandardHelpOptions = true, description = "Ingest, clean, deduplicate, tokenize and pack an article corpus into Delta tables.")
public final class PrepareCommand implements Runnable {
    @Override
    public void run() {
        throw new NotYetAvailable("prepare");
    }
}
