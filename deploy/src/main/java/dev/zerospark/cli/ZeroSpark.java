package dev.zerospark.cli;

import dev.zerospark.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bin/zerospark}: one entry point for data preparation, training, export, generation and benchmarks.
 * Exit codes: 0 success, 1 the job failed, 2 bad usage (unknown flag, bad value, bad config key).
 */
@Command(name = "zerospark",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Train and fine-tune LLMs on Apache Spark with ZeRO-sharded data parallelism.",
        subcommands = {
                PrepareCommand.class,
                TokenizerCommand.class,
                TrainCommand.class,
                ModelCommand.class,
                ExportCommand.class,
                CheckpointCommand.class,
                CompleteCommand.class,
                VerifyTrainingCommand.class,
                BenchCommand.class,
                DemoCommand.class,
                CommandLine.HelpCommand.class})
public final class ZeroSpark implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new ZeroSpark());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof ConfigException || ex instanceof CommandLine.ParameterException) {
                cmd.getErr().println("zerospark: " + ex.getMessage());
                return CommandLine.ExitCode.USAGE;
            }
            cmd.getErr().println("zerospark " + cmd.getCommandName() + " failed: " + ex);
            org.slf4j.LoggerFactory.getLogger(ZeroSpark.class).error("{} failed", cmd.getCommandName(), ex);
            return CommandLine.ExitCode.SOFTWARE;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println("zerospark: " + ex.getMessage());
            cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
            return CommandLine.ExitCode.USAGE;
        });
        return cl;
    }

    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    public static void main(String[] args) {
        int code = execute(args);
        System.exit(code);
    }
}
