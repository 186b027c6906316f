package dev.zerospark.cli;

import picocli.CommandLine.Command;

@Command(name = "model", mixinStandardHelpOptions = true, description = "Inspect and verify HF model directories.",
        subcommands = {ModelCommand.Verify.class})
public final class ModelCommand {
    @Command(name = "verify", mixinStandardHelpOptions = true, description = "Compare a model's logits and greedy outputs with a reference file.")
    static final class Verify implements Runnable {
        @Override
        public void run() {
            throw new NotYetAvailable("model verify");
        }
    }
}
