package dev.zerospark.cli;

import picocli.CommandLine.Command;

/** {@code zerospark eval ...}: score model outputs against references (ROUGE pairs, perplexity, pipeline comparisons). */
@Command(name = "eval", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Evaluate predictions against references.",
        subcommands = {EvalRougeCommand.class, EvalPerplexityCommand.class, EvalCompareCommand.class})
public final class EvalCommand {
}
