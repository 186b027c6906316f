package dev.zerospark.cli;

import picocli.CommandLine.Command;

/** Benchmarks print a table and a JSON line, each measured side by side with its baseline in the same run. */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Version.class, description = "Benchmarks, each next to its baseline.",
        subcommands = {BenchTrainStepCommand.class, BenchAllReduceCommand.class, BenchZeroMemoryCommand.class, BenchMemoryCommand.class,
                BenchTokenizeCommand.class, BenchTrainCommand.class, BenchCleanCommand.class, BenchRougeCommand.class,
                BenchGenerateCommand.class, BenchServeCommand.class, BenchTrainDataCommand.class, BenchDedupCommand.class})
public final class BenchCommand {
}
