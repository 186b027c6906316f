package dev.zerospark.cli;

import picocli.CommandLine.Command;

@Command(name = "tokenizer", mixinStandardHelpOptions = true,
        description = "Train a byte-level BPE tokenizer on your corpus, or encode text with one.",
        subcommands = {TokenizerCommand.Train.class, TokenizerCommand.Encode.class})
public final class TokenizerCommand {
    @Command(name = "train", mixinStandardHelpOptions = true, description = "Train a byte-level BPE tokenizer from an articles table.")
    static final class Train implements Runnable {
        @Override
        public void run() {
            throw new NotYetAvailable("tokenizer train");
        }
    }

    @Command(name = "encode", mixinStandardHelpOptions = true, description = "Encode stdin lines to JSON arrays of ids.")
    static final class Encode implements Runnable {
        @Override
        public void run() {
            throw new NotYetAvailable("tokenizer encode");
        }
    }
}
