package dev.zerospark.cli;

import picocli.CommandLine.Command;

@Command(name = "checkpoint", mixinStandardHelpOptions = true, description = "List and inspect sharded checkpoints.",
        subcommands = {CheckpointCommand.ListCmd.class, CheckpointCommand.Inspect.class})
public final class CheckpointCommand {
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the steps stored under a checkpoint root URI.")
    static final class ListCmd implements Runnable {
        @Override
        public void run() {
            throw new NotYetAvailable("checkpoint list");
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true, description = "Show one checkpoint's manifest.")
    static final class Inspect implements Runnable {
        @Override
        public void run() {
            throw new NotYetAvailable("checkpoint inspect");
        }
    }
}
