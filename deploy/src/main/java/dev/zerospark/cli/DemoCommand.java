package dev.zerospark.cli;

import picocli.CommandLine.Command;

@Command(name = "demo", mixinStandardHelpOptions = true, description = "Run the whole pipeline on the bundled sample corpus, locally.")
public final class DemoCommand implements Runnable {
    @Override
    public void run() {
        throw new NotYetAvailable("demo");
    }
}
