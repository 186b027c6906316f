package dev.zerospark.cli;

import picocli.CommandLine.Command;

@Command(name = "export", mixinStandardHelpOptions = true, description = "Write an HF model directory from a checkpoint.")
public final class ExportCommand implements Runnable {
    @Override
    public void run() {
        throw new NotYetAvailable("export");
    }
}
